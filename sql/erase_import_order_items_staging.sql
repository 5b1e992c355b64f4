-- Erasure: the shoppers in @user_ids among the rows a history import has staged and not yet merged.
DELETE FROM import_order_items_staging
WHERE user_id IN UNNEST(@user_ids)
