-- The slice's engagement: for the shoppers staged in shopper_privacy_staging whose learn_preferences is
-- on, every cart add and search result click of the 180 days before @as_of, once, for
-- brand_preferences.sql and category_preferences.sql to read (engagement_staging). The patterns job
-- empties the table and runs this once per slice: events is scanned once per slice, not once per analysis.
-- A linked visitor's events are their shopper's (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
INSERT INTO engagement_staging (user_id, event_id, type, event_time, category, brand, as_of)
SELECT e.user_id, e.event_id, e.type, e.event_time, e.category, e.brand, @as_of AS as_of
FROM SHOPPER_EVENTS() AS e
JOIN shopper_privacy_staging AS s USING (user_id)
WHERE s.learn_preferences
  AND e.event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
  AND e.event_time < @as_of
  AND e.type IN ('cart_item_added', 'search_result_clicked')
-- Redelivery can repeat a row: keep one per (user_id, event_id).
QUALIFY ROW_NUMBER() OVER (PARTITION BY e.user_id, e.event_id ORDER BY e.received_at) = 1
