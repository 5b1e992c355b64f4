-- Shoppers with events received at or after @since: the ones a patterns run recomputes (ACTIVE_SHOPPERS,
-- functions/warehouse/sql-macros.ts, which the run's staging statements also select by). Sorted: the job
-- slices the list as it comes, so each slice is a range of ids in the warehouse's own order, which the
-- slices' staging statements filter by.
SELECT a.user_id
FROM ACTIVE_SHOPPERS(@since) AS a
ORDER BY a.user_id
