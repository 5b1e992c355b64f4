-- Whether a ranking-weights challenger wins (docs/weights.md): for each experiment `weights.<version>` of the searches
-- of [@window_start, @as_of), the challenger arm's mean minus the current arm's, of
--   challenger_ctr_gain: whether a search had a click (1 or 0), counted as in metric_ctr.sql;
--   challenger_mrr_gain: 1 / the best position clicked, 0 without a click, as in metric_search_quality.sql;
-- with a normal 95% interval for a difference of two independent means, gain ± Z_95() · √(s₁²/n₁ + s₂²/n₂), none
-- while an arm has a single search. The challenger wins when ci_low > 0, and loses when ci_high < 0. The denominator
-- is the searches of both arms; the numerator is left NULL, as a difference has none.
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time, experiments
  FROM events
  WHERE type = 'search_performed'
    AND event_time >= @window_start
    AND event_time < @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
searches AS (
  SELECT user_id, search_id, experiments
  FROM search_events
  WHERE search_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
best_clicks AS (
  SELECT user_id, search_id, MIN(position) AS clicked_at
  FROM events
  WHERE type = 'search_result_clicked'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
  GROUP BY user_id, search_id
),
outcomes AS (
  SELECT
    CASE WHEN c.clicked_at IS NULL THEN 0 ELSE 1 END AS clicked,
    CASE WHEN c.clicked_at IS NULL THEN 0 ELSE 1 / CAST(c.clicked_at AS FLOAT64) END AS reciprocal_rank,
    -- The experiments split as in metric_ctr.sql: a search whose ids or arms hold a quote or a backslash is in none.
    REGEXP_EXTRACT_ALL(TO_JSON_STRING(s.experiments), '"[^"]*":"[^"]*"') AS pairs,
    STRPOS(TO_JSON_STRING(s.experiments), CHR(92)) = 0 AS plain
  FROM searches AS s
  LEFT JOIN best_clicks AS c ON c.user_id = s.user_id AND c.search_id = s.search_id
),
in_trials AS (
  SELECT
    SUBSTR(pair, 2, STRPOS(pair, '":"') - 2) AS experiment,
    SUBSTR(pair, STRPOS(pair, '":"') + 3, LENGTH(pair) - STRPOS(pair, '":"') - 3) AS arm,
    o.clicked,
    o.reciprocal_rank
  FROM outcomes AS o
  CROSS JOIN UNNEST(o.pairs) AS pair
  WHERE o.plain
),
arms AS (
  SELECT
    experiment, arm, COUNT(*) AS n,
    AVG(clicked) AS ctr, VAR_SAMP(clicked) AS ctr_var,
    AVG(reciprocal_rank) AS mrr, VAR_SAMP(reciprocal_rank) AS mrr_var
  FROM in_trials
  WHERE STARTS_WITH(experiment, 'weights.') AND arm IN ('challenger', 'current')
  GROUP BY experiment, arm
),
gains AS (
  SELECT 'challenger_ctr_gain' AS metric, ch.experiment, ch.ctr - cu.ctr AS gain, SQRT(ch.ctr_var / ch.n + cu.ctr_var / cu.n) AS se, ch.n + cu.n AS n
  FROM arms AS ch
  JOIN arms AS cu ON cu.experiment = ch.experiment AND cu.arm = 'current'
  WHERE ch.arm = 'challenger'
  UNION ALL
  SELECT 'challenger_mrr_gain', ch.experiment, ch.mrr - cu.mrr, SQRT(ch.mrr_var / ch.n + cu.mrr_var / cu.n), ch.n + cu.n
  FROM arms AS ch
  JOIN arms AS cu ON cu.experiment = ch.experiment AND cu.arm = 'current'
  WHERE ch.arm = 'challenger'
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  metric,
  experiment,
  'challenger' AS arm,
  '' AS dimension,
  gain AS value,
  CAST(NULL AS FLOAT64) AS numerator,
  CAST(n AS FLOAT64) AS denominator,
  gain - Z_95() * se AS ci_low,
  gain + Z_95() * se AS ci_high
FROM gains
