import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseTableDdl, type TableDdl } from '../../functions/warehouse/ddl.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { connectZetaSql, type ZetaSql, type ZetaType } from '../support/zetasql.ts';

/**
 * Every file of `sql/`, read when the run starts, is analyzed as BigQuery SQL by ZetaSQL against a
 * catalog of all the table DDL files: a misspelt column, a type error or a function BigQuery lacks
 * fails the file's test with ZetaSQL's message, before any deployment.
 */

/** The query parameters the jobs pass. A file using a new parameter fails until it is declared here. */
const PARAMS: Record<string, ZetaType> = {
  as_of: 'TIMESTAMP',
  since: 'TIMESTAMP',
  // insert_job_run.sql and last_watermark.sql: the columns of job_runs.
  job: 'STRING',
  run_id: 'STRING',
  status: 'STRING',
  watermark: 'TIMESTAMP',
  started_at: 'TIMESTAMP',
  finished_at: 'TIMESTAMP',
  shoppers: 'INT64',
  changed: 'INT64',
  result_rows: 'INT64',
  bytes_processed: 'INT64',
  error: 'STRING',
  // The erasure job: erase_*.sql, erasure_remaining.sql and insert_erasure_log.sql (the columns of erasure_log).
  user_ids: 'ARRAY<STRING>',
  request_id: 'STRING',
  user_hash: 'STRING',
  requested_by: 'STRING',
  requested_at: 'TIMESTAMP',
  completed_at: 'TIMESTAMP',
  attempts: 'INT64',
  rows_deleted: 'STRING',
  // forget_user_patterns.sql takes @user_ids too. The retention job: the default retention, and the
  // shortest in force (the partition filter of retain_*.sql and retention_expired.sql).
  default_retention_days: 'INT64',
  shortest_retention_days: 'INT64',
  // The operators' dashboard, dashboard_*.sql: @since to @as_of of traffic, @history_since to @as_of of
  // metrics and job runs, and how many runs of each job.
  history_since: 'TIMESTAMP',
  runs_per_job: 'INT64',
  // The metrics job: metric_*.sql and merge_learning_metrics.sql measure [@window_start, @as_of).
  window_start: 'TIMESTAMP',
  // brand_preferences.sql and category_preferences.sql: PREFERENCE_SCORE_PARAMS of functions/patterns/patterns.ts.
  purchase_weight: 'FLOAT64',
  cart_add_weight: 'FLOAT64',
  click_weight: 'FLOAT64',
  min_preference_score: 'INT64',
  preferences_kept: 'INT64',
  // The patterns job's staging: when the run staged its rows (their partition), and a slice's range of shoppers.
  staged_at: 'TIMESTAMP',
  first_shopper: 'STRING',
  last_shopper: 'STRING',
  // regular_purchases.sql: REGULAR_ITEM_CONFIDENCE of functions/patterns/patterns.ts.
  max_item_confidence: 'FLOAT64',
  purchases_for_full_confidence: 'INT64',
  // regular_purchases.sql and metric_reorder.sql: REORDER_RULE_PARAMS of functions/kernel/reorder-rule.ts.
  due_fraction: 'FLOAT64',
  lapse_cycles: 'INT64',
  // History imports (functions/history/): the import, its rejections' source and the reason for a repeated event,
  // and the pages of its shoppers (@after, @limit) and of its rejections (@limit); @user_ids for seeding.
  import_id: 'STRING',
  source: 'STRING',
  repeated_reason: 'STRING',
  after: 'STRING',
  limit: 'INT64',
  // The backtest (functions/history/backtest.ts): the cutoff it replays the history up to.
  until: 'TIMESTAMP',
  // The ranking-weights fit (functions/weights/job.ts): the personalization experiment and its control arm.
  personalization_experiment: 'STRING',
  control_arm: 'STRING',
};

const SQL_DIR = new URL('../../sql/', import.meta.url);

const files = await Promise.all(
  (await readdir(SQL_DIR))
    .filter((name) => name.endsWith('.sql'))
    .sort()
    // As the jobs read them: with the macros of functions/warehouse/sql-macros.ts expanded.
    .map(async (name) => ({ name, sql: await readSqlFile(name) })),
);

/** A table file: its first line that is neither blank nor a `--` comment starts CREATE TABLE. */
function isTableDdl(sql: string): boolean {
  const first = sql.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('--'));
  return /^\s*CREATE\s+TABLE\b/i.test(first ?? '');
}

/** The catalog holds every table our DDL parser reads; a file it cannot read fails its own test below. */
function catalogTables(): TableDdl[] {
  return files.flatMap(({ sql }) => {
    if (!isTableDdl(sql)) return [];
    try {
      return [parseTableDdl(sql)];
    } catch {
      return [];
    }
  });
}

let zeta: ZetaSql;

beforeAll(async () => {
  zeta = await connectZetaSql(inject('zetasqlPort'), catalogTables());
});

afterAll(() => zeta?.close());

async function analyze(sql: string): Promise<void> {
  try {
    await zeta.analyze(sql, PARAMS);
  } catch (error) {
    const unknown = /Query parameter '(\w+)' not found/.exec(String(error));
    if (unknown) throw new Error(`${(error as Error).message}\n(declare @${unknown[1]} in PARAMS of test/sql/analyze.test.ts)`, { cause: error });
    throw error;
  }
}

describe('sql/ is valid BigQuery SQL (ZetaSQL analyzer)', () => {
  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const { name, sql } of files) {
    it(name, async () => {
      await analyze(sql);
      // The catalog of this very test, and the DuckDB bridge, depend on our own parser reading it too.
      if (isTableDdl(sql)) parseTableDdl(sql);
    });
  }
});

describe('the analyzer harness', () => {
  it('rejects an unknown column and a type error, naming the problem and its place', async () => {
    await expect(zeta.analyze('SELECT event_id, nope FROM events WHERE event_time < @as_of', PARAMS)).rejects.toThrow(
      /Unrecognized name: nope\b.*\[at 1:18\]/,
    );
    await expect(zeta.analyze('SELECT event_id\nFROM events\nWHERE event_time < @as_of + 1', PARAMS)).rejects.toThrow(
      /No matching signature for operator \+ for argument types: TIMESTAMP, INT64.*\[at 3:20\]/s,
    );
  });

  it('rejects a parameter that is not declared, and SQL that is not BigQuery', async () => {
    await expect(analyze('SELECT 1 FROM events WHERE event_time < @never_declared')).rejects.toThrow(
      /Query parameter 'never_declared' not found[\s\S]*declare @never_declared in PARAMS/,
    );
    await expect(zeta.analyze('SELECT * FROM events WHERE type IS DISTINCT FROM', PARAMS)).rejects.toThrow(/Syntax error/);
  });

  it('accepts the statements the jobs run, with comments and a trailing semicolon', async () => {
    const statements = [
      '-- a comment\nWITH e AS (SELECT * FROM events WHERE event_time < @as_of)\nSELECT type, COUNT(*) AS n FROM e GROUP BY type;\n-- done\n',
      'SELECT event_id FROM events WHERE event_time >= @since QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at) = 1',
      "INSERT INTO rejected_events (request_id, reason, payload, source, received_at) VALUES ('r', 'x', '{}', 'ingest', @as_of)",
      'DELETE FROM rejected_events WHERE received_at < TIMESTAMP_SUB(@as_of, INTERVAL 90 DAY)',
      "UPDATE events SET personalized = FALSE WHERE type = 'search_performed' AND event_time >= @since",
      `MERGE order_items t USING (SELECT * FROM order_items WHERE event_time >= @since) s
         ON t.event_id = s.event_id AND t.line = s.line
       WHEN NOT MATCHED THEN INSERT ROW`,
    ];
    for (const sql of statements) await zeta.analyze(sql, PARAMS);
  });
});
