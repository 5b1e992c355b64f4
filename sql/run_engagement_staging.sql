-- The cart adds and search result clicks of every shopper a patterns run computes (stage_run_engagement.sql):
-- every one of the 180 days before @as_of, once each, staged once per run so that events is scanned once a
-- night, however many slices the run has. Each slice copies its own shoppers' rows out of it
-- (stage_engagement.sql) with a filter on user_id, which the clustering turns into reading only the blocks of
-- that range of shoppers. Holds shoppers' behaviour: erased with them, emptied after each run, and any row a
-- failed run left behind is dropped with its partition a day after (partition_expiration_days).
CREATE TABLE IF NOT EXISTS run_engagement_staging (
  user_id STRING NOT NULL,
  event_id STRING NOT NULL,
  type STRING NOT NULL OPTIONS (description = 'cart_item_added or search_result_clicked.'),
  event_time TIMESTAMP NOT NULL,
  category STRING,
  brand STRING,
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the events were staged for: events of the 180 days before it.'),
  staged_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run staged the event (@staged_at): its partition, dropped a day after.')
)
PARTITION BY DATE(staged_at)
CLUSTER BY user_id
OPTIONS (
  partition_expiration_days = 1,
  description = 'Staging for the patterns job: the cart adds and result clicks of every shopper of the latest run, once each, read slice by slice.'
);
