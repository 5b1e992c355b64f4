-- The reorder model a patterns run has just fitted, loaded (replacing the previous run's rows) and then
-- inserted into reorder_model (insert_reorder_model.sql). Only the patterns job writes it.
CREATE TABLE IF NOT EXISTS reorder_model_staging (
  version STRING NOT NULL,
  kind STRING NOT NULL,
  as_of TIMESTAMP NOT NULL,
  fitted_at TIMESTAMP NOT NULL,
  threshold FLOAT64 NOT NULL,
  cycle_bin INT64 NOT NULL,
  orders_bin INT64 NOT NULL,
  interval_bin INT64 NOT NULL,
  examples INT64 NOT NULL,
  bought INT64 NOT NULL,
  probability FLOAT64 NOT NULL,
  due BOOL NOT NULL
)
OPTIONS (description = 'Staging for reorder_model: the cells of the latest fitted model.');
