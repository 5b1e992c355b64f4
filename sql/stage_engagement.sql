-- The slice's engagement: for the shoppers staged in shopper_privacy_staging whose learn_preferences is
-- on, their cart adds and search result clicks the run staged (run_engagement_staging, once each), for
-- brand_preferences.sql and category_preferences.sql to read (engagement_staging). The patterns job empties
-- the table and runs this once per slice. The slice's shoppers are a range of ids, @first_shopper to
-- @last_shopper in the warehouse's own order (active_shoppers.sql sorts them): filtering on it, BigQuery
-- reads only the blocks of the run's table clustered in that range; the join keeps exactly the slice's learners.
INSERT INTO engagement_staging (user_id, event_id, type, event_time, category, brand, as_of)
SELECT r.user_id, r.event_id, r.type, r.event_time, r.category, r.brand, r.as_of
FROM run_engagement_staging AS r
JOIN shopper_privacy_staging AS s USING (user_id)
WHERE s.learn_preferences
  AND r.user_id BETWEEN @first_shopper AND @last_shopper
  AND r.as_of = @as_of
