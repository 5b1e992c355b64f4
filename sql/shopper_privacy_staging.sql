-- The privacy flags of the shoppers a patterns run computes, loaded by the run (replacing the previous
-- run's rows) so that the pattern SQL leaves out what a shopper turned off.
CREATE TABLE IF NOT EXISTS shopper_privacy_staging (
  user_id STRING NOT NULL,
  learn_preferences BOOL NOT NULL,
  learn_brands BOOL NOT NULL,
  learn_price BOOL NOT NULL,
  learn_schedule BOOL NOT NULL,
  learn_dietary BOOL NOT NULL
)
CLUSTER BY user_id
OPTIONS (description = 'Staging for the patterns job: privacy flags of the shoppers of the latest run.');
