-- Makes learning_metrics hold exactly the staged run for its window [@window_start, @as_of): rows of the
-- window are updated or added, and rows of the same window the run no longer computes are deleted, so a
-- rerun (a retry, a backfill after late events) never duplicates a row. Other windows are left alone.
MERGE INTO learning_metrics AS t
USING learning_metrics_staging AS s
ON t.as_of = s.as_of
  AND t.window_start = s.window_start
  AND t.metric = s.metric
  AND t.experiment = s.experiment
  AND t.arm = s.arm
  AND t.dimension = s.dimension
WHEN MATCHED THEN
  UPDATE SET
    run_id = s.run_id, value = s.value, numerator = s.numerator, denominator = s.denominator,
    ci_low = s.ci_low, ci_high = s.ci_high, computed_at = s.computed_at
WHEN NOT MATCHED THEN
  INSERT (run_id, as_of, window_start, metric, experiment, arm, dimension, value, numerator, denominator, ci_low, ci_high, computed_at)
  VALUES (s.run_id, s.as_of, s.window_start, s.metric, s.experiment, s.arm, s.dimension, s.value, s.numerator, s.denominator, s.ci_low, s.ci_high, s.computed_at)
WHEN NOT MATCHED BY SOURCE AND t.as_of = @as_of AND t.window_start = @window_start THEN
  DELETE
