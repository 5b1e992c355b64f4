import type { DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { dashboardWindow, DashboardQuery } from '../../functions/operators/dashboard-data.ts';
import type { RejectedRow, SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow } from '../support/warehouse-rows.ts';

/**
 * A small warehouse for the dashboard, with each file's answer worked out by hand. The dashboard is
 * read at NOW, 11:59:30 on 2026-11-26, over 3 hours of traffic and 3 days of history: as of 12:00:00
 * (the end of the current minute), traffic since 09:00:00, history since 2026-11-23T12:00:00.
 */
export const NOW = new Date('2026-11-26T11:59:30.000Z');
export const QUERY = DashboardQuery.parse({ hours: '3', days: '3' });
export const WINDOW = dashboardWindow(NOW, QUERY);
export const PARAMS = { as_of: WINDOW.asOf, since: WINDOW.since, history_since: WINDOW.historySince, runs_per_job: 2 };

function event(eventId: string, eventTime: string, receivedAt: string, userId = 'shopper'): SqlRow {
  return eventsRow({ event_id: eventId, type: 'product_viewed', user_id: userId, event_time: eventTime, received_at: receivedAt });
}

export const EVENTS: SqlRow[] = [
  event('at-since', '2026-11-26T09:00:00.000Z', '2026-11-26T09:00:30.000Z'),
  event('a', '2026-11-26T10:00:10.000Z', '2026-11-26T10:00:15.000Z'),
  event('b', '2026-11-26T10:00:50.000Z', '2026-11-26T10:02:50.000Z'),
  // A client resent b after a 503: the same event, received again later. It counts once, as first received.
  event('b', '2026-11-26T10:00:50.000Z', '2026-11-26T10:05:00.000Z'),
  event('c', '2026-11-26T10:01:00.000Z', '2026-11-26T10:01:01.000Z'),
  event('d', '2026-11-26T11:30:00.000Z', '2026-11-26T11:30:00.000Z'),
  // Just outside the window on either side.
  event('before', '2026-11-26T08:59:59.000Z', '2026-11-26T09:00:01.000Z'),
  event('at-as-of', '2026-11-26T12:00:00.000Z', '2026-11-26T12:00:00.000Z'),
];

/**
 * Another shopper's event, in b's minute, under the event_id b's client made too: an event is (user_id,
 * event_id), so it is an event of its own, counted beside b.
 */
export const SAME_ID_EVENT: SqlRow = event('b', '2026-11-26T10:00:20.000Z', '2026-11-26T10:00:40.000Z', 'another-shopper');

function rejected(requestId: string, source: string, receivedAt: string): RejectedRow {
  return {
    request_id: requestId,
    event_index: 0,
    event_id: null,
    type: null,
    user_id: null,
    reason: 'invalid',
    payload: '{}',
    source,
    received_at: receivedAt,
  };
}

export const REJECTED_EVENTS: RejectedRow[] = [
  rejected('r1', 'collect', '2026-11-26T09:15:00.000Z'),
  rejected('r2', 'collect', '2026-11-26T09:16:00.000Z'),
  rejected('r3', 'ingest', '2026-11-26T09:40:00.000Z'),
  rejected('r4', 'collect', '2026-11-26T11:05:00.000Z'),
  rejected('r5', 'store-rejected', '2026-11-26T08:59:00.000Z'),
  rejected('r6', 'collect', '2026-11-26T12:00:00.000Z'),
];

function run(job: string, runId: string, status: string, startedAt: string, seconds: number): SqlRow {
  const finishedAt = new Date(Date.parse(startedAt) + seconds * 1000).toISOString();
  return {
    job,
    run_id: runId,
    status,
    as_of: startedAt,
    since: startedAt,
    watermark: startedAt,
    started_at: startedAt,
    finished_at: finishedAt,
    shoppers: 10,
    changed: status === 'succeeded' ? 4 : 0,
    result_rows: 100,
    bytes_processed: null,
    error: status === 'succeeded' ? null : 'BigQuery <backendError>',
  };
}

export const JOB_RUNS: SqlRow[] = [
  run('patterns', 'p0', 'succeeded', '2026-11-23T03:00:00.000Z', 500),
  run('patterns', 'p1', 'succeeded', '2026-11-24T03:00:00.000Z', 600),
  run('patterns', 'p2', 'failed', '2026-11-25T03:00:00.000Z', 90),
  run('patterns', 'p3', 'succeeded', '2026-11-26T03:00:00.000Z', 630),
  run('erasure', 'e1', 'succeeded', '2026-11-26T11:15:00.000Z', 12.5),
];

function metric(row: {
  metric: string;
  experiment?: string;
  arm?: string;
  dimension?: string;
  as_of: string;
  window_start: string;
  value: number;
  ci?: [number, number];
}): SqlRow {
  const denominator = 1000;
  return {
    run_id: `run-${row.as_of}`,
    as_of: row.as_of,
    window_start: row.window_start,
    metric: row.metric,
    experiment: row.experiment ?? '',
    arm: row.arm ?? '',
    dimension: row.dimension ?? '',
    value: row.value,
    numerator: row.value * denominator,
    denominator,
    ci_low: row.ci?.[0] ?? null,
    ci_high: row.ci?.[1] ?? null,
    computed_at: row.as_of,
  };
}

const day = (d: number) => `2026-11-${String(d).padStart(2, '0')}T00:00:00.000Z`;
const ab = { experiment: 'personalization' } as const;

export const LEARNING_METRICS: SqlRow[] = [
  metric({ metric: 'ctr', ...ab, arm: 'control', as_of: day(25), window_start: day(24), value: 0.1, ci: [0.08, 0.12] }),
  metric({ metric: 'ctr', ...ab, arm: 'control', as_of: day(26), window_start: day(25), value: 0.12, ci: [0.1, 0.14] }),
  // A week's window ending at the same time: the day's window counts.
  metric({ metric: 'ctr', ...ab, arm: 'control', as_of: day(26), window_start: day(19), value: 0.11, ci: [0.1, 0.12] }),
  metric({ metric: 'ctr', ...ab, arm: 'personalized', as_of: day(26), window_start: day(25), value: 0.15, ci: [0.13, 0.17] }),
  metric({ metric: 'ctr', as_of: day(26), window_start: day(25), value: 0.135, ci: [0.12, 0.15] }),
  metric({ metric: 'mrr', ...ab, arm: 'control', as_of: day(25), window_start: day(24), value: 0.3, ci: [0.25, 0.35] }),
  metric({ metric: 'mrr', ...ab, arm: 'control', as_of: day(26), window_start: day(25), value: 0.32, ci: [0.28, 0.36] }),
  metric({ metric: 'mrr', ...ab, arm: 'personalized', as_of: day(26), window_start: day(25), value: 0.45, ci: [0.4, 0.5] }),
  metric({ metric: 'mrr', as_of: day(26), window_start: day(25), value: 0.38, ci: [0.35, 0.41] }),
  metric({ metric: 'bought_position', ...ab, arm: 'control', as_of: day(26), window_start: day(25), value: 4.25, ci: [3.5, 5] }),
  metric({ metric: 'bought_position', ...ab, arm: 'personalized', as_of: day(26), window_start: day(25), value: 2.5, ci: [2, 3] }),
  // Slices the dashboard does not chart.
  metric({ metric: 'ctr', dimension: 'personalized', as_of: day(26), window_start: day(25), value: 0.15 }),
  metric({ metric: 'mrr', dimension: 'personalized', as_of: day(26), window_start: day(25), value: 0.45 }),
  metric({ metric: 'ctr_by_position', dimension: '1', as_of: day(26), window_start: day(25), value: 0.3 }),
  metric({ metric: 'reorder_precision', as_of: day(25), window_start: day(24), value: 0.5, ci: [0.4, 0.6] }),
  metric({ metric: 'reorder_precision', as_of: day(26), window_start: day(25), value: 0.6, ci: [0.5, 0.7] }),
  metric({ metric: 'reorder_recall', as_of: day(26), window_start: day(25), value: 0.3, ci: [0.2, 0.4] }),
  // Outside the history, on either side: ending at its start, and after the dashboard's as_of.
  metric({ metric: 'reorder_recall', as_of: '2026-11-23T12:00:00.000Z', window_start: day(22), value: 0.9 }),
  metric({ metric: 'ctr', ...ab, arm: 'control', as_of: '2026-11-26T13:00:00.000Z', window_start: day(26), value: 0.9 }),
];

export const TABLES = { events: EVENTS, rejected_events: REJECTED_EVENTS, job_runs: JOB_RUNS, learning_metrics: LEARNING_METRICS };

/** Loads TABLES into DuckDB: rejected_events through the ingest path, the keyed tables as staging loads do. */
export async function loadDashboardTables(warehouse: DuckDbWarehouse): Promise<void> {
  // DuckDB keys events by (user_id, event_id): the first row of an event is the one kept, as received first.
  await warehouse.replaceRows('events', EVENTS, 'test');
  await warehouse.replaceRows('job_runs', JOB_RUNS, 'test');
  await warehouse.replaceRows('learning_metrics', LEARNING_METRICS, 'test');
  await warehouse.insertRejected(REJECTED_EVENTS);
}

/** Each file's answer, by hand from the rows above. */
export const ANSWERS: Record<string, { rows: SqlRow[]; keys: string[] }> = {
  // 09:00 at-since; 10:00 a and b (b once); 10:01 c; 11:30 d.
  dashboard_events_per_minute: {
    keys: ['minute'],
    rows: [
      { minute: '2026-11-26T09:00:00.000Z', events: 1 },
      { minute: '2026-11-26T10:00:00.000Z', events: 2 },
      { minute: '2026-11-26T10:01:00.000Z', events: 1 },
      { minute: '2026-11-26T11:30:00.000Z', events: 1 },
    ],
  },
  // 10:00: lags 5, 120 (b's first receipt), 1 → sorted 1, 5, 120: the median is the 2nd (⌈1.5⌉), p95 the 3rd (⌈2.85⌉).
  dashboard_ingest_lag: {
    keys: ['hour'],
    rows: [
      { hour: '2026-11-26T09:00:00.000Z', events: 1, p50_seconds: 30, p95_seconds: 30, max_seconds: 30 },
      { hour: '2026-11-26T10:00:00.000Z', events: 3, p50_seconds: 5, p95_seconds: 120, max_seconds: 120 },
      { hour: '2026-11-26T11:00:00.000Z', events: 1, p50_seconds: 0, p95_seconds: 0, max_seconds: 0 },
    ],
  },
  dashboard_rejected: {
    keys: ['hour', 'source'],
    rows: [
      { hour: '2026-11-26T09:00:00.000Z', source: 'collect', rejected: 2 },
      { hour: '2026-11-26T09:00:00.000Z', source: 'ingest', rejected: 1 },
      { hour: '2026-11-26T11:00:00.000Z', source: 'collect', rejected: 1 },
    ],
  },
  // Started since 2026-11-23T12:00 (p0 is older), the latest 2 of each job.
  dashboard_job_runs: {
    keys: ['job', 'run_id'],
    rows: [JOB_RUNS[2], JOB_RUNS[3], JOB_RUNS[4]].map((row) => {
      const { job, run_id, status, started_at, finished_at, shoppers, changed, result_rows, bytes_processed, error } = row as SqlRow;
      return { job, run_id, status, started_at, finished_at, shoppers, changed, result_rows, bytes_processed, error } as SqlRow;
    }),
  },
  dashboard_learning_metrics: {
    keys: ['metric', 'experiment', 'arm', 'as_of'],
    rows: [
      {
        metric: 'ctr',
        experiment: '',
        arm: '',
        as_of: day(26),
        value: 0.135,
        numerator: 135,
        denominator: 1000,
        ci_low: 0.12,
        ci_high: 0.15,
      },
      {
        metric: 'ctr',
        experiment: 'personalization',
        arm: 'control',
        as_of: day(25),
        value: 0.1,
        numerator: 100,
        denominator: 1000,
        ci_low: 0.08,
        ci_high: 0.12,
      },
      {
        metric: 'ctr',
        experiment: 'personalization',
        arm: 'control',
        as_of: day(26),
        value: 0.12,
        numerator: 120,
        denominator: 1000,
        ci_low: 0.1,
        ci_high: 0.14,
      },
      {
        metric: 'ctr',
        experiment: 'personalization',
        arm: 'personalized',
        as_of: day(26),
        value: 0.15,
        numerator: 150,
        denominator: 1000,
        ci_low: 0.13,
        ci_high: 0.17,
      },
      {
        metric: 'mrr',
        experiment: '',
        arm: '',
        as_of: day(26),
        value: 0.38,
        numerator: 380,
        denominator: 1000,
        ci_low: 0.35,
        ci_high: 0.41,
      },
      {
        metric: 'mrr',
        experiment: 'personalization',
        arm: 'control',
        as_of: day(25),
        value: 0.3,
        numerator: 300,
        denominator: 1000,
        ci_low: 0.25,
        ci_high: 0.35,
      },
      {
        metric: 'mrr',
        experiment: 'personalization',
        arm: 'control',
        as_of: day(26),
        value: 0.32,
        numerator: 320,
        denominator: 1000,
        ci_low: 0.28,
        ci_high: 0.36,
      },
      {
        metric: 'mrr',
        experiment: 'personalization',
        arm: 'personalized',
        as_of: day(26),
        value: 0.45,
        numerator: 450,
        denominator: 1000,
        ci_low: 0.4,
        ci_high: 0.5,
      },
      {
        metric: 'bought_position',
        experiment: 'personalization',
        arm: 'control',
        as_of: day(26),
        value: 4.25,
        numerator: 4250,
        denominator: 1000,
        ci_low: 3.5,
        ci_high: 5,
      },
      {
        metric: 'bought_position',
        experiment: 'personalization',
        arm: 'personalized',
        as_of: day(26),
        value: 2.5,
        numerator: 2500,
        denominator: 1000,
        ci_low: 2,
        ci_high: 3,
      },
      {
        metric: 'reorder_precision',
        experiment: '',
        arm: '',
        as_of: day(25),
        value: 0.5,
        numerator: 500,
        denominator: 1000,
        ci_low: 0.4,
        ci_high: 0.6,
      },
      {
        metric: 'reorder_precision',
        experiment: '',
        arm: '',
        as_of: day(26),
        value: 0.6,
        numerator: 600,
        denominator: 1000,
        ci_low: 0.5,
        ci_high: 0.7,
      },
      {
        metric: 'reorder_recall',
        experiment: '',
        arm: '',
        as_of: day(26),
        value: 0.3,
        numerator: 300,
        denominator: 1000,
        ci_low: 0.2,
        ci_high: 0.4,
      },
    ],
  },
};

/** The answers of the files that read events, with SAME_ID_EVENT stored as well. */
export const ANSWERS_WITH_SAME_ID: Record<string, { rows: SqlRow[]; keys: string[] }> = {
  // 10:00: a, b (once) and the other shopper's b.
  dashboard_events_per_minute: {
    keys: ['minute'],
    rows: [
      { minute: '2026-11-26T09:00:00.000Z', events: 1 },
      { minute: '2026-11-26T10:00:00.000Z', events: 3 },
      { minute: '2026-11-26T10:01:00.000Z', events: 1 },
      { minute: '2026-11-26T11:30:00.000Z', events: 1 },
    ],
  },
  // 10:00: lags 5, 120, 1 and the other shopper's 20 → 1, 5, 20, 120: the median the 2nd (⌈2⌉), p95 the 4th (⌈3.8⌉).
  dashboard_ingest_lag: {
    keys: ['hour'],
    rows: [
      { hour: '2026-11-26T09:00:00.000Z', events: 1, p50_seconds: 30, p95_seconds: 30, max_seconds: 30 },
      { hour: '2026-11-26T10:00:00.000Z', events: 4, p50_seconds: 5, p95_seconds: 120, max_seconds: 120 },
      { hour: '2026-11-26T11:00:00.000Z', events: 1, p50_seconds: 0, p95_seconds: 0, max_seconds: 0 },
    ],
  },
};
