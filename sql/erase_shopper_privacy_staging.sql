-- Erasure: the shoppers in @user_ids among the privacy flags a patterns run loaded.
DELETE FROM shopper_privacy_staging
WHERE user_id IN UNNEST(@user_ids)
