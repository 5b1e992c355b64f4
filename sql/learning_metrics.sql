-- How well the loop learns: one row per metric, window and slice (experiment arm, result position,
-- day …), written by the metrics job (sql/metric_*.sql, staged, then merge_learning_metrics.sql).
-- Aggregates over every shopper: no personal data. A rerun of a window replaces that window's rows.
CREATE TABLE IF NOT EXISTS learning_metrics (
  run_id STRING NOT NULL OPTIONS (description = 'The metrics run that last wrote the row.'),
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'End of the measured window (exclusive).'),
  window_start TIMESTAMP NOT NULL OPTIONS (description = 'Start of the measured window (inclusive).'),
  metric STRING NOT NULL OPTIONS (description = 'ctr, ctr_by_position, reorder_precision, reorder_recall, brand_accuracy, cart_abandonment_rate, avg_cart_value or coverage.'),
  experiment STRING NOT NULL OPTIONS (description = 'Experiment id the row is about; empty when not per experiment.'),
  arm STRING NOT NULL OPTIONS (description = 'Arm of the experiment; empty when not per arm.'),
  dimension STRING NOT NULL OPTIONS (description = 'Slice: a result position 1 to 10, personalized or not_personalized, a day YYYY-MM-DD; empty for none.'),
  value FLOAT64 OPTIONS (description = 'numerator / denominator.'),
  numerator FLOAT64 OPTIONS (description = 'E.g. searches with a click; for avg_cart_value the sum of order totals.'),
  denominator FLOAT64 OPTIONS (description = 'E.g. searches; for avg_cart_value the orders.'),
  ci_low FLOAT64 OPTIONS (description = 'Lower end of the 95% interval: Wilson for shares, normal for avg_cart_value.'),
  ci_high FLOAT64 OPTIONS (description = 'Upper end of the 95% interval.'),
  computed_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run that last wrote the row ran.')
)
PARTITION BY DATE(as_of)
CLUSTER BY metric
OPTIONS (description = 'Learning metrics per window: CTR by experiment arm and position, reorder precision and recall, brand accuracy, carts, coverage.');
