-- Erasure: the shoppers in @user_ids among the rows staged for a slice of the latest patterns run.
DELETE FROM engagement_staging
WHERE user_id IN UNNEST(@user_ids)
