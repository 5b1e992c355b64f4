-- The order lines of every shopper a patterns run computes (stage_run_order_lines.sql): every line of the
-- 180 days before @as_of, once each, staged once per run so that order_items is scanned once a night,
-- however many slices the run has. Each slice copies its own shoppers' lines out of it
-- (stage_order_lines.sql) with a filter on user_id, which the clustering turns into reading only the blocks
-- of that range of shoppers. Holds shoppers' purchases: erased with them, emptied after each run, and any
-- row a failed run left behind is dropped with its partition a day after (partition_expiration_days).
CREATE TABLE IF NOT EXISTS run_order_lines_staging (
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
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the lines were staged for: lines of the 180 days before it.'),
  staged_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run staged the line (@staged_at): its partition, dropped a day after.')
)
PARTITION BY DATE(staged_at)
CLUSTER BY user_id
OPTIONS (
  partition_expiration_days = 1,
  description = 'Staging for the patterns job: the order lines of every shopper of the latest run, once each, read slice by slice.'
);
