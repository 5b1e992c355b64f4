-- The shoppers whose retention_days differ from the default, loaded by each retention run (replacing
-- the previous run's rows).
CREATE TABLE IF NOT EXISTS shopper_retention_staging (
  user_id STRING NOT NULL,
  retention_days INT64 NOT NULL
)
CLUSTER BY user_id
OPTIONS (description = 'Staging for the retention job: shoppers with their own retention_days.');
