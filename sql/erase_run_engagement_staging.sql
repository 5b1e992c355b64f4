-- Erasure: the shoppers in @user_ids among the rows staged for the latest patterns run.
-- A visitor linked to one of them is theirs (LINKED_VISITORS, functions/warehouse/sql-macros.ts).
DELETE FROM run_engagement_staging
WHERE user_id IN UNNEST(@user_ids)
  OR user_id IN LINKED_VISITORS(@user_ids)
