-- The fitted reorder model of each patterns run that fitted one: one row per cell of REORDER_CELLS
-- (functions/kernel/reorder-model.ts), written by the patterns job (reorder_model_staging, then
-- insert_reorder_model.sql). Search reads the same table from Firestore (learning_models/reorder); the reorder
-- metric judges each window by the version in force when it began. Aggregates over the shoppers who allow
-- learning: no shopper's row or id.
CREATE TABLE IF NOT EXISTS reorder_model (
  version STRING NOT NULL OPTIONS (description = 'The run_id of the patterns run that fitted the model.'),
  kind STRING NOT NULL OPTIONS (description = 'The features and cells the model is over, e.g. reorder-cells-v1.'),
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'Orders before it were the examples; the model is in force from it on.'),
  fitted_at TIMESTAMP NOT NULL,
  threshold FLOAT64 NOT NULL OPTIONS (description = 'A cell is due when its probability reaches it: the maximum expected F1.'),
  cycle_bin INT64 NOT NULL OPTIONS (description = 'Bin of days since the last purchase / mean interval.'),
  orders_bin INT64 NOT NULL OPTIONS (description = 'Bin of the orders that bought the product.'),
  interval_bin INT64 NOT NULL OPTIONS (description = 'Bin of the mean interval, days.'),
  examples INT64 NOT NULL OPTIONS (description = 'Orders judged in the cell.'),
  bought INT64 NOT NULL OPTIONS (description = 'Of those, the orders that bought the product.'),
  probability FLOAT64 NOT NULL OPTIONS (description = 'The smoothed share bought.'),
  due BOOL NOT NULL
)
CLUSTER BY version
OPTIONS (description = 'Fitted reorder models, one row per version and cell: the probability that an order buys a product, by how far into its rhythm it is.');
