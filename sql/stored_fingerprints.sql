-- The fingerprints stored in user_patterns for the slice's learning shoppers (shopper_privacy_staging).
-- The job stages, publishes and merges only the shoppers whose fresh patterns differ from these, or who
-- have none stored (a shopper published but never merged among them).
SELECT p.user_id, p.fingerprint
FROM user_patterns AS p
JOIN shopper_privacy_staging AS s USING (user_id)
WHERE s.learn_preferences
