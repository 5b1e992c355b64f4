-- Erasure: the shoppers in @user_ids among the retention settings a retention run loaded.
DELETE FROM shopper_retention_staging
WHERE user_id IN UNNEST(@user_ids)
