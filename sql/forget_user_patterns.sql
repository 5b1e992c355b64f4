-- Forgets the patterns of shoppers who turned learn_preferences off. Their preference document is
-- already gone (the privacy store deletes it with the setting), so this row is all that is left; kept,
-- a later run would compare against it and could skip publishing patterns that match it.
DELETE FROM user_patterns
WHERE user_id IN UNNEST(@user_ids)
