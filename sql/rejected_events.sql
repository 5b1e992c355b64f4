-- Input that was refused, with the reason, like Snowplow's failed events: nothing is lost silently.
CREATE TABLE IF NOT EXISTS rejected_events (
  request_id STRING NOT NULL OPTIONS (description = 'The collect request, or the Pub/Sub message id when the message was unreadable.'),
  event_index INT64 OPTIONS (description = '0-based position in the request; NULL when the whole message was unreadable.'),
  event_id STRING,
  type STRING,
  user_id STRING,
  reason STRING NOT NULL,
  payload STRING NOT NULL OPTIONS (description = 'The input as received, truncated to 256 KiB.'),
  source STRING NOT NULL OPTIONS (description = 'Which step refused it, e.g. collect or ingest.'),
  received_at TIMESTAMP NOT NULL
)
PARTITION BY DATE(received_at)
CLUSTER BY source
OPTIONS (
  partition_expiration_days = 90,
  description = 'Rejected events and unreadable messages, with the reason; kept 90 days for inspection.'
);
