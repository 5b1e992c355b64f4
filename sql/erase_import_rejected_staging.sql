-- Erasure: the shoppers in @user_ids, and the visitors linked to them, among the rejected rows a history import
-- has staged, by user_id, or, for a row that could not name its shopper, by the id in its payload (as
-- erase_rejected_events.sql).
DELETE FROM import_rejected_staging
WHERE user_id IN UNNEST(@user_ids)
  OR user_id IN LINKED_VISITORS(@user_ids)
  OR (user_id IS NULL AND EXISTS (SELECT 1 FROM ERASED_IDS(@user_ids) AS x WHERE STRPOS(payload, CONCAT('"', x.id, '"')) > 0))
