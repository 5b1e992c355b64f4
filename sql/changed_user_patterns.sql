-- Shoppers whose freshly staged patterns differ from the ones last published (or who have none yet).
SELECT s.user_id
FROM user_patterns_staging AS s
LEFT JOIN user_patterns AS p USING (user_id)
WHERE p.user_id IS NULL OR p.fingerprint != s.fingerprint
