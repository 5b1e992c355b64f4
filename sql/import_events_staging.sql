-- A history import's events (functions/history/), staged before they are merged into events: every column of
-- events, and the file line each event starts on. The import empties it, stages every slice of the file, merges
-- (insert_imported_events.sql) and empties it again. An event may be staged twice when the file repeats it (an
-- order whose lines come back after other orders): the first line wins, the later ones are rejected.
CREATE TABLE IF NOT EXISTS import_events_staging (
  event_id STRING NOT NULL,
  type STRING NOT NULL,
  user_id STRING NOT NULL,
  session_id STRING NOT NULL,
  request_id STRING NOT NULL,
  occurred_at TIMESTAMP NOT NULL,
  sent_at TIMESTAMP NOT NULL,
  received_at TIMESTAMP NOT NULL,
  event_time TIMESTAMP NOT NULL,
  search_id STRING,
  query STRING,
  sku STRING,
  product_name STRING,
  category STRING,
  brand STRING,
  price FLOAT64,
  quantity FLOAT64,
  position INT64,
  cart_value FLOAT64,
  order_id STRING,
  order_total FLOAT64,
  personalized BOOL,
  experiments JSON,
  context JSON,
  data JSON NOT NULL,
  import_id STRING,
  import_line INT64 NOT NULL OPTIONS (description = 'The line of the imported file the event starts on.')
)
CLUSTER BY user_id, event_id
OPTIONS (description = 'The events of a history import before the merge into events; emptied by every import.');
