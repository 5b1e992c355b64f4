-- The operators' dashboard: CTR, the mean reciprocal rank of clicks and the position of what was bought
-- (overall and per experiment arm), and reorder precision and recall, for the windows ending in
-- (@history_since, @as_of]. Were several windows measured to the same end, the
-- shortest one counts: one point per series and end.
SELECT metric, experiment, arm, as_of, value, numerator, denominator, ci_low, ci_high
FROM learning_metrics
WHERE metric IN ('ctr', 'mrr', 'bought_position', 'reorder_precision', 'reorder_recall')
  AND dimension = ''
  AND as_of > @history_since
  AND as_of <= @as_of
QUALIFY ROW_NUMBER() OVER (PARTITION BY metric, experiment, arm, as_of ORDER BY window_start DESC, computed_at DESC) = 1
ORDER BY metric, experiment, arm, as_of
