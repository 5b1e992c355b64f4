import { describe, expect, it } from 'vitest';
import {
  assembleDashboard,
  clockHours,
  DashboardQuery,
  dashboardWindow,
  readDashboard,
  readDashboardRows,
  type DashboardRows,
} from '../../functions/operators/dashboard-data.ts';
import type { SqlParams, SqlRow, SqlWarehouse } from '../../functions/warehouse/ports.ts';
import { ANSWERS, NOW, QUERY, WINDOW } from './dashboard-fixtures.ts';

/** A warehouse that answers each dashboard file with the fixture's hand-worked rows, and records the parameters. */
function answering(answers: Record<string, SqlRow[]> = Object.fromEntries(Object.entries(ANSWERS).map(([file, a]) => [file, a.rows]))) {
  const calls: { file: string; params: SqlParams; job: string }[] = [];
  const warehouse: Pick<SqlWarehouse, 'query'> = {
    query: async (file, params, job) => {
      calls.push({ file, params, job });
      return { rows: answers[file.replace(/\.sql$/, '')] ?? [], bytesProcessed: null, ms: 1 };
    },
  };
  return { warehouse, calls };
}

describe('the dashboard window', () => {
  it('ends with the current minute, and reaches back the hours of traffic and the days of history', () => {
    expect(dashboardWindow(NOW, QUERY)).toEqual({
      asOf: new Date('2026-11-26T12:00:00.000Z'),
      since: new Date('2026-11-26T09:00:00.000Z'),
      historySince: new Date('2026-11-23T12:00:00.000Z'),
      hours: 3,
      days: 3,
      experiment: 'personalization',
    });
  });

  it('ends at the next whole minute even on one: the minute just begun is the current one', () => {
    expect(dashboardWindow(new Date('2026-11-26T12:00:00.000Z'), QUERY).asOf).toEqual(new Date('2026-11-26T12:01:00.000Z'));
  });

  it('defaults to 24 hours, 30 days and the personalization experiment', () => {
    expect(DashboardQuery.parse({})).toEqual({ hours: 24, days: 30, experiment: 'personalization' });
  });

  it.each([
    [{ hours: '0' }, /^hours: Too small/],
    [{ hours: '169' }, /^hours: Too big/],
    [{ days: '1.5' }, /^days: Invalid input: expected int/],
    [{ hours: 'many' }, /^hours: Invalid input: expected number/],
    [{ hours: ['1', '2'] }, /^hours: Invalid input/],
    [{ experiment: 'Not An Id' }, /^experiment: must be an experiment id/],
    [{ hour: '3' }, /Unrecognized key: "hour"/],
  ])('refuses %j', (query, reason) => {
    const parsed = DashboardQuery.safeParse(query);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}${i.path.length ? ': ' : ''}${i.message}`).join('; ')).toMatch(reason);
  });

  it('lists each clock hour the window touches, a partial first hour included', () => {
    expect(clockHours(new Date('2026-11-26T08:30:00Z'), new Date('2026-11-26T11:30:00Z'))).toEqual([
      '2026-11-26T08:00:00.000Z',
      '2026-11-26T09:00:00.000Z',
      '2026-11-26T10:00:00.000Z',
      '2026-11-26T11:00:00.000Z',
    ]);
    expect(clockHours(new Date('2026-11-26T09:00:00Z'), new Date('2026-11-26T12:00:00Z'))).toHaveLength(3);
  });
});

describe('reading the dashboard', () => {
  it('runs each dashboard file once, labelled dashboard, with the window as parameters', async () => {
    const { warehouse, calls } = answering();
    await readDashboardRows(warehouse, WINDOW);

    expect(calls.map((c) => c.file).sort()).toEqual(
      Object.keys(ANSWERS)
        .map((f) => `${f}.sql`)
        .sort(),
    );
    for (const call of calls) {
      expect(call.job).toBe('dashboard');
      expect(call.params).toEqual({ as_of: WINDOW.asOf, since: WINDOW.since, history_since: WINDOW.historySince, runs_per_job: 20 });
    }
  });

  it('fails naming the file and the column when a file answers an unexpected row', async () => {
    const { warehouse } = answering({ dashboard_rejected: [{ hour: '2026-11-26T09:00:00.000Z', source: 'collect', rejected: -1 }] });
    await expect(readDashboard(warehouse, WINDOW)).rejects.toThrow(
      /^sql\/dashboard_rejected\.sql answered an unexpected row: rejected Too small/,
    );
  });

  it('assembles each chart’s series from the rows', async () => {
    const { warehouse } = answering();
    const data = await readDashboard(warehouse, WINDOW);
    const point = (as_of: string, value: number, ci: [number, number]) => ({
      as_of,
      value,
      numerator: value * 1000,
      denominator: 1000,
      ci_low: ci[0],
      ci_high: ci[1],
    });

    expect(data).toEqual({
      as_of: '2026-11-26T12:00:00.000Z',
      since: '2026-11-26T09:00:00.000Z',
      history_since: '2026-11-23T12:00:00.000Z',
      hours: 3,
      days: 3,
      experiment: 'personalization',
      // Per arm of the experiment; the overall CTR is left out while arms were measured.
      ctr: [
        {
          name: 'control',
          metric: 'ctr',
          experiment: 'personalization',
          arm: 'control',
          points: [point('2026-11-25T00:00:00.000Z', 0.1, [0.08, 0.12]), point('2026-11-26T00:00:00.000Z', 0.12, [0.1, 0.14])],
        },
        {
          name: 'personalized',
          metric: 'ctr',
          experiment: 'personalization',
          arm: 'personalized',
          points: [point('2026-11-26T00:00:00.000Z', 0.15, [0.13, 0.17])],
        },
      ],
      // Alike: the overall MRR is left out while arms were measured; lower positions are better.
      mrr: [
        {
          name: 'control',
          metric: 'mrr',
          experiment: 'personalization',
          arm: 'control',
          points: [point('2026-11-25T00:00:00.000Z', 0.3, [0.25, 0.35]), point('2026-11-26T00:00:00.000Z', 0.32, [0.28, 0.36])],
        },
        {
          name: 'personalized',
          metric: 'mrr',
          experiment: 'personalization',
          arm: 'personalized',
          points: [point('2026-11-26T00:00:00.000Z', 0.45, [0.4, 0.5])],
        },
      ],
      bought_position: [
        {
          name: 'control',
          metric: 'bought_position',
          experiment: 'personalization',
          arm: 'control',
          points: [point('2026-11-26T00:00:00.000Z', 4.25, [3.5, 5])],
        },
        {
          name: 'personalized',
          metric: 'bought_position',
          experiment: 'personalization',
          arm: 'personalized',
          points: [point('2026-11-26T00:00:00.000Z', 2.5, [2, 3])],
        },
      ],
      reorder: [
        {
          name: 'precision',
          metric: 'reorder_precision',
          experiment: '',
          arm: '',
          points: [point('2026-11-25T00:00:00.000Z', 0.5, [0.4, 0.6]), point('2026-11-26T00:00:00.000Z', 0.6, [0.5, 0.7])],
        },
        { name: 'recall', metric: 'reorder_recall', experiment: '', arm: '', points: [point('2026-11-26T00:00:00.000Z', 0.3, [0.2, 0.4])] },
      ],
      events_per_minute: ANSWERS.dashboard_events_per_minute?.rows,
      events: 5,
      // 09:00, 10:00 and 11:00; nothing was rejected at 10:00.
      rejected: {
        hours: ['2026-11-26T09:00:00.000Z', '2026-11-26T10:00:00.000Z', '2026-11-26T11:00:00.000Z'],
        sources: [
          { source: 'collect', counts: [2, 0, 1] },
          { source: 'ingest', counts: [1, 0, 0] },
        ],
        total: 4,
      },
      ingest_lag: ANSWERS.dashboard_ingest_lag?.rows,
      job_runs: [
        expect.objectContaining({
          job: 'patterns',
          run_id: 'p2',
          status: 'failed',
          duration_seconds: 90,
          error: 'BigQuery <backendError>',
        }),
        expect.objectContaining({ job: 'patterns', run_id: 'p3', status: 'succeeded', duration_seconds: 630 }),
        expect.objectContaining({
          job: 'erasure',
          run_id: 'e1',
          duration_seconds: 12.5,
          started_at: '2026-11-26T11:15:00.000Z',
          finished_at: '2026-11-26T11:15:12.500Z',
        }),
      ],
    });
  });

  it('charts the overall CTR when no arm was measured, and the arms of the experiment asked for', () => {
    const rows = emptyRows();
    const ctr = (experiment: string, arm: string, value: number) => ({
      metric: 'ctr',
      experiment,
      arm,
      as_of: '2026-11-26T00:00:00.000Z',
      value,
      numerator: null,
      denominator: null,
      ci_low: null,
      ci_high: null,
    });
    rows.dashboard_learning_metrics = [ctr('', '', 0.2), ctr('ranking', 'a', 0.3), ctr('ranking', 'b', 0.4)];

    expect(assembleDashboard(rows, WINDOW).ctr.map((s) => [s.name, s.points.map((p) => p.value)])).toEqual([['all shoppers', [0.2]]]);
    expect(assembleDashboard(rows, { ...WINDOW, experiment: 'ranking' }).ctr.map((s) => [s.name, s.points.map((p) => p.value)])).toEqual([
      ['a', [0.3]],
      ['b', [0.4]],
    ]);
  });

  it('charts MRR and the bought position per arm alike, each on its own: one measured per arm does not hide the other overall', () => {
    const rows = emptyRows();
    const row = (metric: string, experiment: string, arm: string, value: number) => ({
      metric,
      experiment,
      arm,
      as_of: '2026-11-26T00:00:00.000Z',
      value,
      numerator: null,
      denominator: null,
      ci_low: null,
      ci_high: null,
    });
    rows.dashboard_learning_metrics = [
      row('mrr', '', '', 0.4),
      row('mrr', 'personalization', 'control', 0.3),
      row('bought_position', '', '', 3.5),
      row('ctr', 'personalization', 'control', 0.2),
    ];

    const data = assembleDashboard(rows, WINDOW);
    expect(data.mrr.map((s) => [s.name, s.points.map((p) => p.value)])).toEqual([['control', [0.3]]]);
    expect(data.bought_position.map((s) => [s.name, s.points.map((p) => p.value)])).toEqual([['all shoppers', [3.5]]]);
  });

  it('names reorder lines per arm when measured per arm, and leaves out a window without a value', () => {
    const rows = emptyRows();
    const reorder = (metric: string, arm: string, value: number | null) => ({
      metric,
      experiment: arm ? 'personalization' : '',
      arm,
      as_of: '2026-11-26T00:00:00.000Z',
      value,
      numerator: null,
      denominator: null,
      ci_low: null,
      ci_high: null,
    });
    rows.dashboard_learning_metrics = [
      reorder('reorder_recall', 'control', 0.2),
      reorder('reorder_precision', '', 0.5),
      reorder('reorder_precision', 'control', null),
    ];

    expect(assembleDashboard(rows, WINDOW).reorder.map((s) => s.name)).toEqual(['precision', 'recall · control']);
  });

  it('counts a rejected row outside the window’s hours in the total only', () => {
    const rows = emptyRows();
    rows.dashboard_rejected = [{ hour: '2026-11-26T08:00:00.000Z', source: 'collect', rejected: 3 }];

    expect(assembleDashboard(rows, WINDOW).rejected).toEqual({ hours: expect.any(Array), sources: [], total: 3 });
  });
});

function emptyRows(): DashboardRows {
  return {
    dashboard_events_per_minute: [],
    dashboard_ingest_lag: [],
    dashboard_rejected: [],
    dashboard_job_runs: [],
    dashboard_learning_metrics: [],
  };
}
