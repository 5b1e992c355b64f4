import { describe, expect, it } from 'vitest';
import { parseBacktestArgs } from '../../functions/local/backtest.ts';

describe('npm run backtest', () => {
  it('reads the local stack’s warehouse file up to the cutoff, and writes to out/backtest, unless told otherwise', () => {
    expect(parseBacktestArgs(['--until', '2026-05-01'], '/shop', {})).toEqual({
      until: new Date('2026-05-01T00:00:00.000Z'),
      report: '/shop/out/backtest',
      warehouse: { kind: 'duckdb', path: '/shop/.local/warehouse.duckdb' },
    });
    expect(
      parseBacktestArgs(['--until', '2026-05-01T12:00:00Z', '--warehouse', 'duckdb:old.duckdb', '--report', 'r'], '/shop', {}),
    ).toMatchObject({ report: '/shop/r', warehouse: { kind: 'duckdb', path: '/shop/old.duckdb' } });
  });

  it('reads BigQuery with --project, in the loop’s dataset unless told otherwise', () => {
    expect(parseBacktestArgs(['--until', '2026-05-01', '--project', 'shop-prod', '--location', 'EU'], '/shop', {}).warehouse).toEqual({
      kind: 'bigquery',
      project: 'shop-prod',
      dataset: 'learning_loop',
      location: 'EU',
    });
  });

  it('refuses a missing or unreadable cutoff, and two warehouses at once, saying why', () => {
    expect(() => parseBacktestArgs([], '/shop', {})).toThrow(/--until must be a date/);
    expect(() => parseBacktestArgs(['--until', 'soon'], '/shop', {})).toThrow(/--until must be a date/);
    expect(() => parseBacktestArgs(['--until', '2026-05-01', '--warehouse', 'duckdb:a', '--project', 'p'], '/shop', {})).toThrow(
      /give one/,
    );
    expect(() => parseBacktestArgs(['--until', '2026-05-01', '--warehouse', 'bigquery:p'], '/shop', {})).toThrow(/duckdb:<file>/);
  });
});
