-- The rows a metrics run has just computed, loaded in bulk (replacing the previous run's rows) and
-- then merged into learning_metrics. Only the metrics job writes it, one run at a time.
CREATE TABLE IF NOT EXISTS learning_metrics_staging (
  run_id STRING NOT NULL,
  as_of TIMESTAMP NOT NULL,
  window_start TIMESTAMP NOT NULL,
  metric STRING NOT NULL,
  experiment STRING NOT NULL,
  arm STRING NOT NULL,
  dimension STRING NOT NULL,
  value FLOAT64,
  numerator FLOAT64,
  denominator FLOAT64,
  ci_low FLOAT64,
  ci_high FLOAT64,
  computed_at TIMESTAMP NOT NULL
)
CLUSTER BY metric
OPTIONS (description = 'Staging for learning_metrics: the rows of the latest metrics run.');
