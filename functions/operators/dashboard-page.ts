import { RUNS_PER_JOB, type DashboardData, type JobRun, type MetricSeries } from './dashboard-data.ts';
import { ATTRIBUTION_MINUTES } from '../warehouse/sql-macros.ts';
import { barChart, escape, formatNumber, formatPercent, formatSeconds, lineChart, type ChartSeries } from './svg-charts.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Where Pub/Sub keeps what ingest gave up on: outside the warehouse, so the dashboard cannot count it. */
export const DEAD_LETTER_SUBSCRIPTION = 'events-dead-letter-keep';

/** The chart ids, in page order: what tests and links refer to. */
export const CHARTS = ['ctr', 'mrr', 'bought-position', 'reorder', 'events-per-minute', 'rejected', 'ingest-lag', 'job-runs'] as const;

/**
 * The operators' dashboard as one HTML page: every chart inline SVG, no script, nothing fetched. What
 * each chart shows is said under it, and its data is at `/v1/dashboard/data` with the same query string.
 */
export function renderDashboardPage(data: DashboardData): string {
  const asOf = Date.parse(data.as_of);
  const since = Date.parse(data.since);
  const historySince = Date.parse(data.history_since);
  const query = `hours=${data.hours}&days=${data.days}&experiment=${encodeURIComponent(data.experiment)}`;

  const figures = [
    figure(
      lineChart({
        id: 'ctr',
        title: `Click-through rate by arm of ${data.experiment}`,
        description: `Share of searches with a click, per arm, for each window the metrics job measured, over the last ${data.days} days; the band is the 95% interval.`,
        from: historySince,
        to: asOf,
        yLabel: 'click-through rate',
        series: data.ctr.map((s) => metricLine(s, true)),
        format: formatPercent,
      }),
      `Click-through rate (<code>learning_metrics</code>, metric <code>ctr</code>) of each arm of <code>${escape(data.experiment)}</code>, at the end of each measured window; the shaded band (or bar) is its 95% interval, <code>ci_low</code> to <code>ci_high</code>. Arms whose bands part are told apart by the data.`,
    ),
    figure(
      lineChart({
        id: 'mrr',
        title: `Mean reciprocal rank of clicks by arm of ${data.experiment}`,
        description: `Per search, 1 / the best position clicked (0 without a click), averaged per arm, for each window the metrics job measured, over the last ${data.days} days; the band is the 95% interval.`,
        from: historySince,
        to: asOf,
        yLabel: 'mean reciprocal rank',
        yMax: 1,
        series: data.mrr.map((s) => metricLine(s, true)),
      }),
      `Mean reciprocal rank (<code>learning_metrics</code>, metric <code>mrr</code>) of each arm of <code>${escape(data.experiment)}</code>: 1 for a search clicked at the top, ½ at the second place, 0 without a click. Unlike the click-through rate it still tells arms apart when nearly every search gets a click: the arm that puts what shoppers want higher scores more.`,
    ),
    figure(
      lineChart({
        id: 'bought-position',
        title: `Position of what was bought, by arm of ${data.experiment}`,
        description: `The mean position at which searches showed the products their shoppers added to a cart or ordered within ${ATTRIBUTION_MINUTES} minutes after the search, per arm, over the last ${data.days} days; lower is better; the band is the 95% interval.`,
        from: historySince,
        to: asOf,
        yLabel: 'mean position shown',
        series: data.bought_position.map((s) => metricLine(s, true)),
      }),
      `Where the products shoppers then bought had been shown (<code>learning_metrics</code>, metric <code>bought_position</code>), per arm of <code>${escape(data.experiment)}</code>: lower means search put them nearer the top. Clicks do not enter it, so neither does their bias towards the first places.`,
    ),
    figure(
      lineChart({
        id: 'reorder',
        title: 'Reorder precision and recall',
        description: `Of the products predicted due, the share reordered (precision), and of the products reordered, the share predicted (recall), over the last ${data.days} days.`,
        from: historySince,
        to: asOf,
        yLabel: 'share',
        yMax: 1,
        series: data.reorder.map((s) => metricLine(s, false)),
        format: formatPercent,
      }),
      'Reorder precision and recall (<code>reorder_precision</code>, <code>reorder_recall</code>) at the end of each measured window: of the products the loop predicted due, the share the shopper then ordered; of the products ordered again, the share it had predicted.',
    ),
    figure(
      lineChart({
        id: 'events-per-minute',
        title: 'Events per minute',
        description: `Events stored, per minute of event time, over the last ${data.hours} hours: ${formatNumber(data.events)} in all.`,
        from: since,
        to: asOf,
        yLabel: 'events per minute',
        series: [{ name: 'events', points: eventsPerMinute(data, since, asOf) }],
        integers: true,
        markers: false,
      }),
      'Events in the warehouse (<code>events</code>, one per shopper and <code>event_id</code>) per minute of their event time. A minute that fills in later held events sent late by their clients.',
    ),
    figure(
      barChart({
        id: 'rejected',
        title: 'Rejected per hour, by source',
        description: `Rejected events and unreadable messages kept in rejected_events, per hour of receipt and step that refused them, over the last ${data.hours} hours: ${formatNumber(data.rejected.total)} in all.`,
        buckets: data.rejected.hours.map((h) => Date.parse(h)),
        bucketMs: HOUR_MS,
        yLabel: 'rejected per hour',
        series: data.rejected.sources.map((s) => ({ name: s.source, values: s.counts })),
      }),
      `Rows of <code>rejected_events</code> per hour, stacked by <code>source</code>: <code>collect</code> refused invalid events; <code>ingest</code> and <code>store-rejected</code> kept messages they could not read (acknowledged, never retried) and rows the warehouse refused. <strong>Dead letters</strong> are not among them: a message that failed five deliveries is kept by Pub/Sub in the subscription <code>${DEAD_LETTER_SUBSCRIPTION}</code>, outside the warehouse. Its backlog is charted on the Cloud Monitoring dashboard “Learning loop”, and the alert “Dead letters present” fires on it.`,
    ),
    figure(
      lineChart({
        id: 'ingest-lag',
        title: 'Ingest lag per hour',
        description: `Seconds from an event happening to collect receiving it (received_at − event_time), per hour of event time over the last ${data.hours} hours: median, 95th percentile and longest.`,
        from: Math.floor(since / HOUR_MS) * HOUR_MS,
        to: asOf,
        yLabel: 'seconds',
        series: lagLines(data),
      }),
      'How late events arrive: <code>received_at − event_time</code> in whole seconds, per hour of event time: the median (p50), the 95th percentile (p95) and the longest. The time <code>ingest</code> then takes is the log-based metric <code>ingest_lag_ms</code> in Cloud Monitoring: the warehouse keeps no time of insertion.',
    ),
    figure(
      lineChart({
        id: 'job-runs',
        title: 'Batch job runs',
        description: `How long each run of each batch job took, over the last ${data.days} days; failed runs hollow.`,
        from: historySince,
        to: asOf,
        yLabel: 'seconds',
        series: jobLines(data.job_runs),
      }) + jobTable(data.job_runs),
      `Runs recorded in <code>job_runs</code> (the latest ${RUNS_PER_JOB} of each job at most): the time each took, from start to finish, by job; a failed run is drawn hollow, and the table lists each job's latest runs, newest first.`,
    ),
  ];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Learning loop — operators' dashboard</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 1520px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(740px, 1fr)); gap: 1.5rem; }
figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 0.75rem; }
figcaption { font-size: 0.85rem; color: #444; margin-top: 0.5rem; }
svg.chart { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.8rem; margin-top: 0.5rem; }
th, td { border-bottom: 1px solid #eee; padding: 0.2rem 0.5rem; text-align: left; }
td.failed { color: #D55E00; font-weight: bold; }
form { margin: 0.5rem 0 1.5rem; }
input { width: 5rem; }
</style>
</head>
<body>
<header>
<h1>Learning loop — operators' dashboard</h1>
<p>As of <time datetime="${data.as_of}">${escape(data.as_of)}</time>: traffic over the last ${data.hours} hours, learning and jobs over the last ${data.days} days. Times are UTC. <a href="/v1/dashboard/data?${escape(query)}">The data as JSON</a>.</p>
<form method="get" action="/dashboard">
<label>Hours of traffic <input name="hours" type="number" min="1" max="168" value="${data.hours}"></label>
<label>Days of history <input name="days" type="number" min="1" max="90" value="${data.days}"></label>
<label>Experiment <input name="experiment" value="${escape(data.experiment)}" pattern="[a-z0-9_.\\-]{1,64}"></label>
<button type="submit">Show</button>
</form>
</header>
<main>
${figures.join('\n')}
</main>
</body>
</html>
`;
}

function figure(chart: string, caption: string): string {
  return `<figure>${chart}<figcaption>${caption}</figcaption></figure>`;
}

function metricLine(series: MetricSeries, withInterval: boolean): ChartSeries {
  return {
    name: series.name,
    points: series.points.map((p) => ({
      at: Date.parse(p.as_of),
      value: p.value,
      ...(withInterval ? { low: p.ci_low, high: p.ci_high } : {}),
    })),
  };
}

/** Every minute of the window, 0 where the warehouse has no events. */
function eventsPerMinute(data: DashboardData, since: number, asOf: number): ChartSeries['points'] {
  const counts = new Map(data.events_per_minute.map((m) => [Date.parse(m.minute), m.events]));
  const points: ChartSeries['points'] = [];
  for (let at = since; at < asOf; at += MINUTE_MS) points.push({ at, value: counts.get(at) ?? 0 });
  return points;
}

function lagLines(data: DashboardData): ChartSeries[] {
  const line = (name: string, pick: (row: DashboardData['ingest_lag'][number]) => number): ChartSeries => ({
    name,
    points: data.ingest_lag.map((row) => ({ at: Date.parse(row.hour), value: pick(row) })),
  });
  return [line('p50', (r) => r.p50_seconds), line('p95', (r) => r.p95_seconds), line('longest', (r) => r.max_seconds)];
}

function jobLines(runs: JobRun[]): ChartSeries[] {
  const jobs = [...new Set(runs.map((r) => r.job))].sort();
  return jobs.map((job) => ({
    name: job,
    points: runs
      .filter((r) => r.job === job)
      .map((r) => ({ at: Date.parse(r.started_at), value: r.duration_seconds, failed: r.status !== 'succeeded' })),
  }));
}

function jobTable(runs: JobRun[]): string {
  if (!runs.length) return '';
  const rows = runs
    .toSorted((a, b) => a.job.localeCompare(b.job) || Date.parse(b.started_at) - Date.parse(a.started_at))
    .map(
      (r) =>
        `<tr><td>${escape(r.job)}</td><td>${escape(r.started_at)}</td><td${r.status === 'succeeded' ? '' : ' class="failed"'}>${escape(r.status)}</td>` +
        `<td>${escape(formatSeconds(r.duration_seconds))}</td><td>${r.shoppers}</td><td>${r.changed}</td><td>${escape(r.error ?? '')}</td></tr>`,
    );
  return `<table class="job-runs"><caption>Latest runs of each job</caption><thead><tr><th>job</th><th>started (UTC)</th><th>status</th><th>took</th><th>shoppers</th><th>changed</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
