-- Keeps user_patterns equal to the staged run for the shoppers it computed; rows whose fingerprint did
-- not change keep their as_of and computed_at, like the published documents they mirror.
MERGE INTO user_patterns AS t
USING user_patterns_staging AS s
ON t.user_id = s.user_id
WHEN MATCHED AND t.fingerprint != s.fingerprint THEN
  UPDATE SET as_of = s.as_of, computed_at = s.computed_at, fingerprint = s.fingerprint, patterns = s.patterns
WHEN NOT MATCHED THEN
  INSERT (user_id, as_of, computed_at, fingerprint, patterns)
  VALUES (s.user_id, s.as_of, s.computed_at, s.fingerprint, s.patterns)
