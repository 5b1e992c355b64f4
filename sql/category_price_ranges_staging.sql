-- Every category's price range of the latest patterns run (stage_category_price_ranges.sql), emptied and
-- loaded once per run before its slices, so that price_sensitivity.sql reads it in every slice instead
-- of scanning every shopper's order lines again. Aggregates over every shopper: no personal data.
CREATE TABLE IF NOT EXISTS category_price_ranges_staging (
  category STRING NOT NULL,
  low FLOAT64 OPTIONS (description = 'The cheapest unit price the category was bought at.'),
  high FLOAT64 OPTIONS (description = 'The dearest unit price the category was bought at.'),
  mean FLOAT64 OPTIONS (description = 'The mean unit price of its order lines, each line once whatever its quantity.'),
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the range was computed for: order lines of the 180 days before it count.')
)
CLUSTER BY category
OPTIONS (description = 'Staging for the patterns job: the category price ranges of the latest run.');
