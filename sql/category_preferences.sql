-- Category preferences: per shopper, the categories they buy (@purchase_weight a purchase), add to carts
-- (@cart_add_weight) and click in search results (@click_weight) in the 180 days before @as_of; a category counts
-- from a score of @min_preference_score (a single purchase is not a preference), the @preferences_kept strongest
-- per shopper, with the signals behind each score. The job binds the weights from BATCH_PREFERENCE_SCORE
-- (functions/kernel/signal-weights.ts), their one home.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences is on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences
),
purchased AS (
  SELECT i.user_id, i.category
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
),
engaged AS (
  SELECT e.user_id, e.category, e.type
  -- The slice's cart adds and result clicks of the 180 days before @as_of, once each (stage_engagement.sql).
  FROM engagement_staging AS e
  JOIN active USING (user_id)
  WHERE e.as_of = @as_of
    AND e.category IS NOT NULL
),
signals AS (
  SELECT user_id, category, COUNT(*) AS purchases, 0 AS cart_adds, 0 AS clicks
  FROM purchased
  GROUP BY user_id, category
  UNION ALL
  SELECT user_id, category, 0, COUNTIF(type = 'cart_item_added'), COUNTIF(type = 'search_result_clicked')
  FROM engaged
  GROUP BY user_id, category
),
scored AS (
  SELECT
    user_id, category,
    SUM(purchases) AS purchases,
    SUM(cart_adds) AS cart_adds,
    SUM(clicks) AS clicks,
    @purchase_weight * SUM(purchases) + @cart_add_weight * SUM(cart_adds) + @click_weight * SUM(clicks) AS score
  FROM signals
  GROUP BY user_id, category
),
-- Share of the shopper's whole category score, before the threshold and the top 10.
shared AS (
  SELECT *, score / SUM(score) OVER (PARTITION BY user_id) AS share
  FROM scored
)
SELECT
  user_id, category, purchases, cart_adds, clicks, score, share,
  ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY score DESC, category) AS ordinal
FROM shared
WHERE score >= @min_preference_score
QUALIFY ordinal <= @preferences_kept
