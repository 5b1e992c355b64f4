-- Erasure: the rejected input of the shoppers in @user_ids. A whole message that could not be read
-- has no user_id column value, but its payload may still name the shopper as a JSON string
-- ("user_id":"<id>"), so such rows go too.
DELETE FROM rejected_events
WHERE user_id IN UNNEST(@user_ids)
  OR (user_id IS NULL AND EXISTS (SELECT 1 FROM UNNEST(@user_ids) AS id WHERE STRPOS(payload, CONCAT('"', id, '"')) > 0))
