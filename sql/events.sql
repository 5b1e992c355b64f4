-- One row per accepted event. Redelivery can repeat a row: readers keep one row per (user_id, event_id).
-- Clients make event ids, so two shoppers' events may share one: an event_id alone names no event.
-- Table names are unqualified: the job that runs this file sets the default dataset.
CREATE TABLE IF NOT EXISTS events (
  event_id STRING NOT NULL OPTIONS (description = 'Client-made UUID; with user_id, the idempotency key of the pipeline.'),
  type STRING NOT NULL OPTIONS (description = 'Event type, e.g. search_performed, order_completed.'),
  user_id STRING NOT NULL OPTIONS (description = 'Shopper, from the verified token; never from the body.'),
  session_id STRING NOT NULL,
  request_id STRING NOT NULL OPTIONS (description = 'The collect request that carried the event.'),
  occurred_at TIMESTAMP NOT NULL OPTIONS (description = 'When it happened, by the client clock.'),
  sent_at TIMESTAMP NOT NULL OPTIONS (description = 'When the client sent it, by the same clock.'),
  received_at TIMESTAMP NOT NULL OPTIONS (description = 'When collect received it, by the server clock.'),
  event_time TIMESTAMP NOT NULL OPTIONS (description = 'received_at - (sent_at - occurred_at): the client clock skew removed.'),
  search_id STRING OPTIONS (description = 'The search the event is attributed to: data.search_id, else context.search_id.'),
  query STRING OPTIONS (description = 'Search text, on searches and clicks.'),
  sku STRING OPTIONS (description = 'Product, on clicks, views and cart changes.'),
  product_name STRING,
  category STRING,
  brand STRING,
  price FLOAT64,
  quantity FLOAT64 OPTIONS (description = 'Units on cart changes; for cart_item_updated the new quantity.'),
  position INT64 OPTIONS (description = '1-based rank of the clicked result.'),
  cart_value FLOAT64,
  order_id STRING,
  order_total FLOAT64,
  personalized BOOL OPTIONS (description = 'Whether the search results were personalized.'),
  experiments JSON OPTIONS (description = 'Experiment id to arm, from context.experiments.'),
  context JSON OPTIONS (description = 'The whole context object as sent.'),
  data JSON NOT NULL OPTIONS (description = 'The whole data object as sent.'),
  import_id STRING OPTIONS (description = 'The history import that loaded the event (npm run import); NULL for events collected live.')
)
PARTITION BY DATE(event_time)
CLUSTER BY user_id, type
OPTIONS (
  require_partition_filter = TRUE,
  partition_expiration_days = 730,
  description = 'Accepted shopper events, one row per event (one per user_id and event_id after deduplication).'
);
