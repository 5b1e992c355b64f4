-- One row per line of an order_completed event, so pattern queries need no UNNEST.
-- Redelivery can repeat a row: readers keep one row per (user_id, event_id, line).
CREATE TABLE IF NOT EXISTS order_items (
  event_id STRING NOT NULL OPTIONS (description = 'The order_completed event this line belongs to.'),
  line INT64 NOT NULL OPTIONS (description = '1-based position of the item in the order.'),
  order_id STRING NOT NULL,
  user_id STRING NOT NULL,
  event_time TIMESTAMP NOT NULL OPTIONS (description = 'The event_time of the order event.'),
  sku STRING NOT NULL,
  product_name STRING NOT NULL,
  category STRING NOT NULL,
  brand STRING,
  price FLOAT64 NOT NULL OPTIONS (description = 'Unit price.'),
  quantity FLOAT64 NOT NULL,
  promotion STRING,
  -- BigQuery arrays are never NULL (a NULL array is stored as empty), so no NOT NULL here.
  dietary_tags ARRAY<STRING> OPTIONS (description = 'Lower snake case tags such as vegan, gluten_free.'),
  import_id STRING OPTIONS (description = 'The history import that loaded the line (npm run import); NULL for orders collected live.')
)
PARTITION BY DATE(event_time)
CLUSTER BY user_id, sku
OPTIONS (
  require_partition_filter = TRUE,
  partition_expiration_days = 730,
  description = 'Ordered items, one row per order line; kept as long as events.'
);
