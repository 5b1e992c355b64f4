-- Erasure: the published batch patterns of the shoppers in @user_ids.
DELETE FROM user_patterns
WHERE user_id IN UNNEST(@user_ids)
