-- The cart adds and search result clicks of one slice of a patterns run (stage_engagement.sql): every
-- one of the 180 days before @as_of of the slice's shoppers who learn, once each, for the brand and
-- category preferences. Emptied and loaded for each slice; holds shoppers' behaviour: erased with them,
-- and emptied after each run.
CREATE TABLE IF NOT EXISTS engagement_staging (
  user_id STRING NOT NULL,
  event_id STRING NOT NULL,
  type STRING NOT NULL OPTIONS (description = 'cart_item_added or search_result_clicked.'),
  event_time TIMESTAMP NOT NULL,
  category STRING,
  brand STRING,
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the events were staged for: events of the 180 days before it.')
)
CLUSTER BY user_id
OPTIONS (description = 'Staging for the patterns job: the cart adds and result clicks of the shoppers of one slice of the latest run, once each.');
