-- The order lines of one slice of a patterns run (stage_order_lines.sql): every line of the 180 days
-- before @as_of of the slice's shoppers who learn, once each. Emptied and loaded for each slice, so that
-- the analyses read the slice's lines from here instead of each scanning order_items and removing
-- redelivered rows again. Holds shoppers' purchases: erased with them, and emptied after each run.
CREATE TABLE IF NOT EXISTS order_lines_staging (
  user_id STRING NOT NULL,
  event_id STRING NOT NULL OPTIONS (description = 'The order_completed event the line belongs to.'),
  line INT64 NOT NULL,
  event_time TIMESTAMP NOT NULL OPTIONS (description = 'The event_time of the order event.'),
  sku STRING NOT NULL,
  product_name STRING NOT NULL,
  category STRING NOT NULL,
  brand STRING,
  price FLOAT64 NOT NULL OPTIONS (description = 'Unit price.'),
  quantity FLOAT64 NOT NULL,
  promotion STRING,
  dietary_tags ARRAY<STRING>,
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the lines were staged for: lines of the 180 days before it.')
)
CLUSTER BY user_id
OPTIONS (description = 'Staging for the patterns job: the order lines of the shoppers of one slice of the latest run, once each.');
