-- Carts in [@window_start, @as_of).
--   cart_abandonment_rate: of the sessions (shopper, session_id) that added to the cart in the window,
--     the share in which no order_completed of the same session followed the session's last cart add
--     (orders up to @as_of + 30 minutes count, as clicks do in metric_ctr.sql), with a Wilson 95% interval.
--   avg_cart_value: per day (UTC, dimension YYYY-MM-DD), the mean order total of the orders of the
--     window (numerator: their sum; denominator: how many), with a normal 95% interval
--     mean ± Z_95() · s / √n (none for a single order). Totals are averaged as sent, in the shop's currency.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
WITH
-- Only the latest add and order of a session count, so a repeated row changes nothing.
carts AS (
  SELECT user_id, session_id, MAX(event_time) AS last_added_at
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'cart_item_added'
    AND event_time >= @window_start
    AND event_time < @as_of
  GROUP BY user_id, session_id
),
checkouts AS (
  SELECT user_id, session_id, MAX(event_time) AS last_ordered_at
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'order_completed'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
  GROUP BY user_id, session_id
),
abandonment AS (
  SELECT
    CAST(COUNTIF(o.last_ordered_at IS NULL OR o.last_ordered_at < c.last_added_at) AS FLOAT64) AS numerator,
    CAST(COUNT(*) AS FLOAT64) AS denominator
  FROM carts AS c
  LEFT JOIN checkouts AS o ON o.user_id = c.user_id AND o.session_id = c.session_id
),
orders AS (
  SELECT event_time, order_total
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'order_completed'
    AND event_time >= @window_start
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
days AS (
  SELECT
    CAST(CAST(event_time AS DATE) AS STRING) AS day,
    SUM(order_total) AS total,
    COUNT(*) AS orders,
    STDDEV_SAMP(order_total) AS spread
  FROM orders
  GROUP BY day
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  'cart_abandonment_rate' AS metric,
  '' AS experiment,
  '' AS arm,
  '' AS dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM abandonment WHERE denominator > 0)
UNION ALL
SELECT
  @as_of,
  @window_start,
  'avg_cart_value',
  '',
  '',
  day,
  total / orders,
  total,
  CAST(orders AS FLOAT64),
  total / orders - Z_95() * spread / SQRT(orders),
  total / orders + Z_95() * spread / SQRT(orders)
FROM days
