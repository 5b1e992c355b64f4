-- The batch patterns of each shopper, as last published to `preferences/{userId}.patterns`:
-- one row per shopper, written by the patterns job with MERGE (merge_user_patterns.sql).
CREATE TABLE IF NOT EXISTS user_patterns (
  user_id STRING NOT NULL,
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The @as_of the patterns were computed for: events before it count.'),
  computed_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run that last changed the row ran.'),
  fingerprint STRING NOT NULL OPTIONS (description = 'SHA-256 of the patterns without as_of: equal means unchanged, so nothing is republished.'),
  patterns JSON NOT NULL OPTIONS (description = 'The patterns object published to Firestore.')
)
CLUSTER BY user_id
OPTIONS (description = 'Purchase patterns per shopper: regular items, brands, categories, price, schedule, dietary, bought together.');
