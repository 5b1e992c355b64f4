-- Keeps the staged model (reorder_model_staging) as a version of reorder_model; a version already kept
-- (a retried run) is not added twice.
INSERT INTO reorder_model (
  version, kind, as_of, fitted_at, threshold, cycle_bin, orders_bin, interval_bin, examples, bought, probability, due
)
SELECT s.version, s.kind, s.as_of, s.fitted_at, s.threshold, s.cycle_bin, s.orders_bin, s.interval_bin, s.examples, s.bought, s.probability, s.due
FROM reorder_model_staging AS s
WHERE s.version NOT IN (SELECT version FROM reorder_model)
