-- Dietary patterns: per shopper and dietary tag, the share of their order lines in the 180 days before
-- @as_of that carry the tag, and a confidence: the Wilson score lower bound of that share at 95%, so
-- 3 tagged lines of 3 count for less than 30 of 30.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences and learn_dietary are on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_dietary
),
lines AS (
  SELECT i.user_id, i.event_id, i.line, i.dietary_tags
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
),
totals AS (
  SELECT user_id, COUNT(*) AS lines
  FROM lines
  GROUP BY user_id
),
tagged AS (
  -- A tag listed twice on one line still counts that line once (event_id and line name a line within the
  -- shopper's group: the staged lines are one per (user_id, event_id, line)).
  SELECT l.user_id, tag, COUNT(DISTINCT CONCAT(l.event_id, '/', CAST(l.line AS STRING))) AS lines
  FROM lines AS l
  CROSS JOIN UNNEST(l.dietary_tags) AS tag
  GROUP BY l.user_id, tag
),
shares AS (
  SELECT t.user_id, t.tag, t.lines AS tagged_lines, n.lines, t.lines / n.lines AS share
  FROM tagged AS t
  JOIN totals AS n USING (user_id)
)
SELECT
  user_id, tag, tagged_lines, lines, share,
  -- Expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(share, lines) AS confidence
FROM shares
