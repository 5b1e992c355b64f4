-- The patterns a run has just computed, loaded in bulk (replacing the previous run's rows) and then
-- compared with and merged into user_patterns. Only the patterns job writes it, one run at a time.
CREATE TABLE IF NOT EXISTS user_patterns_staging (
  user_id STRING NOT NULL,
  as_of TIMESTAMP NOT NULL,
  computed_at TIMESTAMP NOT NULL,
  fingerprint STRING NOT NULL,
  patterns JSON NOT NULL
)
CLUSTER BY user_id
OPTIONS (description = 'Staging for user_patterns: the rows of the latest patterns run.');
