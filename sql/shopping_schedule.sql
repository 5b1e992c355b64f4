-- Shopping schedule: per shopper with at least two orders in the 180 days before @as_of, the weekdays
-- and hours (UTC) that hold at least a quarter of their orders, the mean interval between orders and
-- when the next is expected. Weekdays are ISO: 1 = Monday … 7 = Sunday.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences and learn_schedule are on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_schedule
),
-- One row per order event; grouping by (user_id, event_id) also drops rows repeated by redelivery.
orders AS (
  SELECT i.user_id, i.event_id, MIN(i.event_time) AS ordered_at
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
  GROUP BY i.user_id, i.event_id
),
rhythm AS (
  SELECT
    user_id,
    COUNT(*) AS orders,
    MAX(ordered_at) AS last_order_at,
    (UNIX_SECONDS(MAX(ordered_at)) - UNIX_SECONDS(MIN(ordered_at))) / 86400 / (COUNT(*) - 1) AS avg_interval_days
  FROM orders
  GROUP BY user_id
  HAVING COUNT(*) >= 2
),
-- Day number since 1970-01-01, a Thursday (ISO weekday 4).
weekdays AS (
  SELECT user_id, MOD(DIV(UNIX_SECONDS(ordered_at), 86400) + 3, 7) + 1 AS weekday, COUNT(*) AS orders
  FROM orders
  GROUP BY user_id, weekday
),
hours AS (
  SELECT user_id, MOD(DIV(UNIX_SECONDS(ordered_at), 3600), 24) AS hour_of_day, COUNT(*) AS orders
  FROM orders
  GROUP BY user_id, hour_of_day
),
preferred_weekdays AS (
  SELECT w.user_id, ARRAY_AGG(w.weekday ORDER BY w.orders DESC, w.weekday) AS weekdays
  FROM weekdays AS w
  JOIN rhythm AS r USING (user_id)
  WHERE w.orders >= 0.25 * r.orders
  GROUP BY w.user_id
),
preferred_hours AS (
  SELECT h.user_id, ARRAY_AGG(h.hour_of_day ORDER BY h.orders DESC, h.hour_of_day) AS hours
  FROM hours AS h
  JOIN rhythm AS r USING (user_id)
  WHERE h.orders >= 0.25 * r.orders
  GROUP BY h.user_id
)
SELECT
  r.user_id,
  r.orders,
  r.last_order_at,
  r.avg_interval_days,
  TIMESTAMP_SECONDS(UNIX_SECONDS(r.last_order_at) + CAST(r.avg_interval_days * 86400 AS INT64)) AS next_order_at,
  LEAST(0.9, r.orders / 10) AS confidence,
  w.weekdays AS preferred_weekdays,
  h.hours AS preferred_hours
FROM rhythm AS r
LEFT JOIN preferred_weekdays AS w USING (user_id)
LEFT JOIN preferred_hours AS h USING (user_id)
