-- What a history import's merge left out of its staging: the later parts of events staged twice (rejected by
-- reject_repeated_imports.sql), and the events the warehouse held before the import (collected live, or imported by
-- another file), which are neither added nor learned from again.
WITH staged AS (
  SELECT user_id, event_id, COUNT(*) AS parts
  FROM import_events_staging
  GROUP BY user_id, event_id
),
held AS (
  SELECT DISTINCT e.user_id, e.event_id
  FROM events AS e
  JOIN staged AS s ON e.user_id = s.user_id AND e.event_id = s.event_id
  WHERE e.event_time >= TIMESTAMP_SECONDS(0)
    AND (e.import_id IS NULL OR e.import_id != @import_id)
)
SELECT
  IFNULL((SELECT SUM(parts - 1) FROM staged), 0) AS repeated,
  (SELECT COUNT(*) FROM held) AS already_present
