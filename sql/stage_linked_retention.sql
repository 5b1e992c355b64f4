-- Gives each linked visitor in shopper_retention_staging their shopper's retention_days: from the moment of
-- linking the shopper's settings govern the visitor's rows, which keep the visitor's id. A visitor whose shopper
-- keeps the default loses any row of their own (settings they wrote under their own token no longer count). The
-- retention job runs this right after loading the shoppers. MIN: a resent link can repeat its row.
MERGE INTO shopper_retention_staging AS t
USING (
  SELECT l.anonymous_id, MIN(s.retention_days) AS retention_days
  FROM identity_links AS l
  LEFT JOIN shopper_retention_staging AS s ON s.user_id = l.user_id
  GROUP BY l.anonymous_id
) AS v
ON t.user_id = v.anonymous_id
WHEN MATCHED AND v.retention_days IS NULL THEN
  DELETE
WHEN MATCHED THEN
  UPDATE SET retention_days = v.retention_days
WHEN NOT MATCHED AND v.retention_days IS NOT NULL THEN
  INSERT (user_id, retention_days) VALUES (v.anonymous_id, v.retention_days)
