-- Erasure: the rejected input of the shoppers in @user_ids and of the visitors linked to them. A whole message
-- that could not be read has no user_id column value, but its payload may still name one of them as a JSON string
-- ("user_id":"<id>"), so such rows go too.
DELETE FROM rejected_events
WHERE user_id IN UNNEST(@user_ids)
  OR user_id IN LINKED_VISITORS(@user_ids)
  OR (user_id IS NULL AND EXISTS (SELECT 1 FROM ERASED_IDS(@user_ids) AS x WHERE STRPOS(payload, CONCAT('"', x.id, '"')) > 0))
