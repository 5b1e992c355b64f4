-- Erasure: the shoppers in @user_ids, and the visitors linked to them (LINKED_VISITORS,
-- functions/warehouse/sql-macros.ts), among the rows a history import has staged and not yet merged.
DELETE FROM import_events_staging
WHERE user_id IN UNNEST(@user_ids)
  OR user_id IN LINKED_VISITORS(@user_ids)
