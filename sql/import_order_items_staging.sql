-- A history import's order lines (functions/history/), staged before they are merged into order_items: every column
-- of order_items, and the file line their order starts on, which tells the parts of a repeated order apart.
CREATE TABLE IF NOT EXISTS import_order_items_staging (
  event_id STRING NOT NULL,
  line INT64 NOT NULL,
  order_id STRING NOT NULL,
  user_id STRING NOT NULL,
  event_time TIMESTAMP NOT NULL,
  sku STRING NOT NULL,
  product_name STRING NOT NULL,
  category STRING NOT NULL,
  brand STRING,
  price FLOAT64 NOT NULL,
  quantity FLOAT64 NOT NULL,
  promotion STRING,
  dietary_tags ARRAY<STRING>,
  import_id STRING,
  import_line INT64 NOT NULL OPTIONS (description = 'The line of the imported file the order starts on.')
)
CLUSTER BY user_id, event_id
OPTIONS (description = 'The order lines of a history import before the merge into order_items; emptied by every import.');
