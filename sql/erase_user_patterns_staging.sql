-- Erasure: the shoppers in @user_ids among the latest patterns run's staged rows.
DELETE FROM user_patterns_staging
WHERE user_id IN UNNEST(@user_ids)
