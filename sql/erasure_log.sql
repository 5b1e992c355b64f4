-- One row per completed erasure request: proof that a shopper's data was deleted, holding no personal
-- data — only a keyed hash of the user id (HMAC-SHA-256, key in Secret Manager), times and counts.
CREATE TABLE IF NOT EXISTS erasure_log (
  request_id STRING NOT NULL,
  user_hash STRING NOT NULL OPTIONS (description = 'HMAC-SHA-256 of the user id; the key is user-hash-key.'),
  requested_by STRING NOT NULL OPTIONS (description = 'shopper or operator.'),
  requested_at TIMESTAMP NOT NULL,
  completed_at TIMESTAMP NOT NULL,
  attempts INT64 NOT NULL OPTIONS (description = 'Erasure job runs it took (rows in the streaming buffer wait for a later run).'),
  rows_deleted JSON NOT NULL OPTIONS (description = 'Rows deleted per table.')
)
CLUSTER BY request_id
OPTIONS (description = 'Completed erasure requests, without personal data.');
