-- A history import's rejected rows (functions/history/), staged before they join rejected_events: every column of
-- rejected_events. event_index is the file line, request_id the import.
CREATE TABLE IF NOT EXISTS import_rejected_staging (
  request_id STRING NOT NULL,
  event_index INT64,
  event_id STRING,
  type STRING,
  user_id STRING,
  reason STRING NOT NULL,
  payload STRING NOT NULL,
  source STRING NOT NULL,
  received_at TIMESTAMP NOT NULL
)
CLUSTER BY source
OPTIONS (description = 'The rejected rows of a history import before they join rejected_events; emptied by every import.');
