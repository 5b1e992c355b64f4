import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { DuckDBValue } from '@duckdb/node-api';
import { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { createFirestorePatternPublisher } from '../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { COLLECTIONS } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { createDuckDbWarehouse, duckDbParam, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { freePort, startEmulator } from '../../functions/local/emulators.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import {
  BEGINNING,
  JOB,
  RUN_STAGING,
  runPatternsJob,
  SLICE_SHOPPERS,
  SLICE_STAGING,
  type PatternsRun,
} from '../../functions/patterns/job.ts';
import { ANALYSES, patternParams } from '../../functions/patterns/patterns.ts';
import type { PatternPublisher, PublishedPatterns } from '../../functions/patterns/ports.ts';
import type { ErasureStore, PrivacyStore } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { toDuckDbQuery, usedParams } from '../../functions/warehouse/dialect.ts';
import type { SqlParams, SqlWarehouse } from '../../functions/warehouse/ports.ts';
import { readSqlFile } from '../../functions/warehouse/sql-files.ts';
import { ACTIVE_SINCE, AS_OF, DEFAULT_SPEC, ensurePatternsData, WINDOW_DAYS, type DataSpec } from './patterns-data.ts';
import { stopScope } from './stop-scope.ts';

// `npm run bench:patterns`: the scheduled patterns job (functions/patterns/job.ts) on the local DuckDB
// warehouse, at the issue's size by default (100,000 shoppers, 10,000,000 events; test/bench/patterns-data.ts
// generates them once and keeps the file), against a plain full-scan aggregation of `events` in the same
// DuckDB and the same run, since these machines are too noisy for absolute numbers to mean much. Two runs:
//   1. backfill: since = 1970, every shopper, user_patterns empty (the first run);
//   2. incremental: since = AS_OF − 7 days (≈ 30 % of the shoppers active), user_patterns holding every
//      shopper from run 1 with its fingerprint made stale, so each active shopper counts as changed
//      (as if its new events had changed its patterns) and the merge updates a full table.
// Every shopper has the default privacy settings (all learning on: the most work) and no erasure is
// pending; the job reads them from memory and publishes to an in-memory publisher. Firestore is measured
// on its own afterwards, against the emulator: real shoppers' patterns from run 1 through
// createFirestorePatternPublisher, and the same shoppers' privacy flags through the privacy store's readMany.
// Options (or BENCH_<NAME> in the environment): --shoppers=N (100000), --events=N (10000000), --seed=N (1),
// --scans=N (timed scans after one warm-up, 3), --publish=N (documents to Firestore, 5000; 0 skips it),
// --data-dir=PATH (where generated warehouses are kept; default <os tmpdir>/grocery-bench), --slice=N (the job's
// sliceShoppers, default its SLICE_SHOPPERS), --duckdb-alone (after each run, every file again wrapped in an
// aggregate, for all the run's shoppers at once: DuckDB's share of each query without rows to JS).

const argument = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
const option = (name: string, fallback: number) => Number(argument(name) ?? fallback);
const SPEC: DataSpec = {
  shoppers: option('shoppers', DEFAULT_SPEC.shoppers),
  events: option('events', DEFAULT_SPEC.events),
  seed: option('seed', DEFAULT_SPEC.seed),
};
const SCANS = option('scans', 3);
/** Also time every file alone in DuckDB (an aggregate of the result only) after each run: as long again as the queries. */
const DUCKDB_ALONE = process.argv.includes('--duckdb-alone');
const PUBLISH = option('publish', 5000);
const SLICE = option('slice', SLICE_SHOPPERS);
const DATA_DIR = argument('data-dir') ?? join(tmpdir(), 'grocery-bench');
for (const [name, value] of Object.entries({ scans: SCANS, publish: PUBLISH, slice: SLICE })) {
  const least = name === 'publish' ? 0 : 1;
  if (!Number.isSafeInteger(value) || value < least) throw new Error(`--${name} must be a whole number from ${least}, not ${value}`);
}
const TARGET_SECONDS = 60;
/** ISSUE-20's bar: the night within this many times its floor, the run with every analysis's SQL free. */
const TARGET_FLOOR_RATIO = 2;
const PROJECT = 'demo-bench';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The deployed job's default settle time: it moves the watermark only, never what a run reads. */
const SETTLE_MS = 15 * 60_000;

process.env.METADATA_SERVER_DETECTION ??= 'none';
const progress = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

// Processes: the emulator is stopped on the way out, on an error, and on SIGINT/SIGTERM.
const { start, cleanup, stopAll } = stopScope(progress);

// Memory: DuckDB runs in this process, so its RSS covers the warehouse too.

type MemoryPeaks = { rss: number; heapUsed: number; longestGapMs: number };

/**
 * Peak RSS and JS heap from a 100 ms sampler, and the longest gap between samples (the job's own JS
 * blocks the loop); a line every 30 s, since one query can take minutes.
 */
function watchMemory(): { stop(): MemoryPeaks } {
  const startedAt = performance.now();
  const peaks: MemoryPeaks = { rss: 0, heapUsed: 0, longestGapMs: 0 };
  let last = startedAt;
  let shown = startedAt;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peaks.rss = Math.max(peaks.rss, rss);
    peaks.heapUsed = Math.max(peaks.heapUsed, heapUsed);
  };
  sample();
  const timer = setInterval(() => {
    const now = performance.now();
    peaks.longestGapMs = Math.max(peaks.longestGapMs, now - last);
    last = now;
    sample();
    if (now - shown >= 30_000) {
      shown = now;
      progress(`      … ${((now - startedAt) / 1000).toFixed(0)} s, RSS ${mb(process.memoryUsage.rss())} MB`);
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** CPU time of this process, all threads (DuckDB's included), ms: a figure the machine's noise barely moves. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The kernel's high-water mark of this process's RSS (VmHWM), which no blocked event loop can miss. */
function highWaterMark(): number | null {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] ? Number(match[1]) * 1024 : null;
}

/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs); false where that is not allowed. */
function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

// The job's surroundings: a logger that keeps the query lines, a warehouse that times every call,
// a publisher that only counts.

const QueryLine = z.object({ message: z.string(), query: z.string(), rows: z.number(), ms: z.number() });
type QueryLine = z.infer<typeof QueryLine>;

function jobLogger(queries: QueryLine[]) {
  return createLogger({
    sink: (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const query = QueryLine.safeParse(entry);
      if (query.success) {
        queries.push(query.data);
        return progress(`    ${query.data.query}: ${query.data.rows.toLocaleString('en')} rows, ${(query.data.ms / 1000).toFixed(1)} s`);
      }
      const { severity, message, time: _time, 'logging.googleapis.com/labels': _labels, ...fields } = entry;
      const shown = Object.entries(fields).filter(([key]) => !['as_of', 'run_id', 'bytes_processed'].includes(key));
      progress(
        `    ${String(message)}${severity === 'INFO' ? '' : ` [${String(severity)}]`}${shown.length ? ` (${shown.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')})` : ''}`,
      );
    },
  });
}

/** A warehouse call of the job, or the checkpoint that follows the run (`checkpoint`). */
type Call = { kind: 'query' | 'execute' | 'replaceRows' | 'checkpoint'; name: string; rows: number; startedAt: number; ms: number };

function timedWarehouse(warehouse: SqlWarehouse, calls: Call[]): SqlWarehouse {
  const time = async <T>(kind: Call['kind'], name: string, work: () => Promise<T>, rows: (result: T) => number): Promise<T> => {
    const startedAt = performance.now();
    const result = await work();
    calls.push({ kind, name, rows: rows(result), startedAt, ms: performance.now() - startedAt });
    return result;
  };
  return {
    query: (file, params, job) =>
      time(
        'query',
        file,
        () => warehouse.query(file, params, job),
        (r) => r.rows.length,
      ),
    execute: (file, params, job) =>
      time(
        'execute',
        file,
        () => warehouse.execute(file, params, job),
        (r) => r.affectedRows,
      ),
    replaceRows: (table, rows, job) =>
      time(
        'replaceRows',
        table,
        () => warehouse.replaceRows(table, rows, job),
        () => rows.length,
      ),
  };
}

/** Every shopper at the defaults, as readMany answers for those who never set anything. */
const defaultPrivacy: Pick<PrivacyStore, 'readMany'> = {
  readMany: async (userIds) => new Map(userIds.map((userId) => [userId, { ...DEFAULT_PRIVACY, updated_at: null }])),
};
const noErasures: Pick<ErasureStore, 'pending'> = { pending: async () => [] };

function countingPublisher(keep: number): PatternPublisher & { kept: PublishedPatterns[]; all: PublishedPatterns[]; ms: number } {
  const publisher = {
    kept: [] as PublishedPatterns[],
    all: [] as PublishedPatterns[],
    ms: 0,
    async publish(entries: readonly PublishedPatterns[]) {
      const startedAt = performance.now();
      for (const entry of entries) {
        if (publisher.kept.length < keep) publisher.kept.push(entry);
        publisher.all.push(entry);
      }
      publisher.ms += performance.now() - startedAt;
      return { written: entries.length };
    },
  };
  return publisher;
}

// Measurements.

type Scan = { name: string; sql: string; ms: number[]; cpuMs: number[]; result: string };

const SCANS_SQL = {
  events:
    'SELECT count(*) AS groups, sum(n) AS rows, sum(spent) AS price FROM (SELECT user_id, type, count(*) AS n, sum(price) AS spent FROM events GROUP BY user_id, type)',
  order_items:
    'SELECT count(*) AS groups, sum(n) AS rows, sum(units) AS units FROM (SELECT user_id, sku, count(*) AS n, sum(quantity) AS units FROM order_items GROUP BY user_id, sku)',
};

async function timeScan(warehouse: DuckDbWarehouse, name: string, sql: string): Promise<Scan> {
  await warehouse.sql(sql); // warm-up: the same pages in DuckDB's buffer pool as the job will find
  const ms: number[] = [];
  const cpu: number[] = [];
  let result = '';
  for (let i = 0; i < SCANS; i++) {
    const [startedAt, cpuBefore] = [performance.now(), cpuMs()];
    const [row] = await warehouse.sql(sql);
    ms.push(performance.now() - startedAt);
    cpu.push(cpuMs() - cpuBefore);
    result = Object.entries(row ?? {})
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(0) : (v as string)}`)
      .join(', ');
    progress(`    ${name} scan ${i + 1}/${SCANS}: ${(ms.at(-1) ?? 0).toFixed(0)} ms, CPU ${(cpu.at(-1) ?? 0).toFixed(0)} ms (${result})`);
  }
  return { name, sql, ms, cpuMs: cpu, result };
}

type JobResult = {
  name: string;
  run: PatternsRun;
  wallMs: number;
  cpuMs: number;
  queries: QueryLine[];
  calls: Call[];
  publishMs: number;
  rssBefore: number;
  heapBefore: number;
  peaks: MemoryPeaks;
  highWater: number | null;
  documentBytes: { mean: number; max: number };
  /** DuckDB executing each file of the run with only an aggregate coming back to JS (--duckdb-alone). */
  duckDbOnlyMs: Map<string, number>;
  /** Reading each analysis's result, computed beforehand into a table, into the port's rows (--duckdb-alone). */
  readOnlyMs: Map<string, number>;
};

async function timeJob(
  warehouse: DuckDbWarehouse,
  name: string,
  since: Date,
  publisher: ReturnType<typeof countingPublisher>,
): Promise<JobResult> {
  const queries: QueryLine[] = [];
  const calls: Call[] = [];
  globalThis.gc?.();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const resettable = resetHighWaterMark();
  const memory = watchMemory();
  const [startedAt, cpuBefore] = [performance.now(), cpuMs()];
  const run = await runPatternsJob(
    {
      warehouse: timedWarehouse(warehouse, calls),
      publisher,
      reorderModels: { publish: async () => undefined },
      privacy: defaultPrivacy,
      erasures: noErasures,
      clock: () => new Date(),
      logger: jobLogger(queries),
      settleMs: SETTLE_MS,
      sliceShoppers: SLICE,
    },
    { asOf: AS_OF, since },
  );
  // The run's writes are in DuckDB's write-ahead log until a checkpoint puts them in the file: part of
  // the run's cost, whenever DuckDB would take it, so it is taken and timed here.
  const checkpointStartedAt = performance.now();
  await warehouse.sql('CHECKPOINT');
  calls.push({
    kind: 'checkpoint',
    name: 'CHECKPOINT',
    rows: 0,
    startedAt: checkpointStartedAt,
    ms: performance.now() - checkpointStartedAt,
  });
  const wallMs = performance.now() - startedAt;
  const jobCpuMs = cpuMs() - cpuBefore;
  const peaks = memory.stop();
  const highWater = resettable ? highWaterMark() : null;
  const sizes = publisher.all.map((entry) => Buffer.byteLength(JSON.stringify(entry.patterns)));
  publisher.all.length = 0;
  const documentBytes = { mean: sizes.reduce((a, b) => a + b, 0) / (sizes.length || 1), max: Math.max(0, ...sizes) };
  const publishMs = publisher.ms;
  publisher.ms = 0;

  const duckDbOnlyMs = new Map<string, number>();
  const readOnlyMs = new Map<string, number>();
  if (DUCKDB_ALONE) {
    progress(`    every file again, DuckDB alone (an aggregate of the result only, every shopper of the run at once)`);
    // The job left its last slice staged; these timings are of the whole run's shoppers in one query.
    await warehouse.sql('DELETE FROM shopper_privacy_staging');
    await warehouse.sql(
      'INSERT INTO shopper_privacy_staging SELECT DISTINCT user_id, true, true, true, true, true FROM events WHERE received_at >= $since',
      { since: duckDbParam(since) },
    );
    // The parameters the job binds, so that every statement is timed as the run ran it: one slice of every shopper.
    const [range] = await warehouse.sql('SELECT min(user_id) AS first, max(user_id) AS last FROM shopper_privacy_staging');
    const id = (value: unknown) => (typeof value === 'string' ? value : '');
    const params: SqlParams = {
      ...patternParams(AS_OF, since),
      staged_at: new Date(),
      first_shopper: id(range?.first),
      last_shopper: id(range?.last),
    };
    duckDbOnlyMs.set('active_shoppers', await timeDuckDbOnly(warehouse, 'active_shoppers', params));
    // The analyses read the staged order lines and engagement, which the run emptied after its last slice.
    for (const [table, file] of [...RUN_STAGING, ...SLICE_STAGING]) {
      await warehouse.replaceRows(table, [], JOB);
      const stagedAt = performance.now();
      await warehouse.execute(`${file}.sql`, params, JOB);
      duckDbOnlyMs.set(file, performance.now() - stagedAt);
    }
    for (const file of ANALYSES) duckDbOnlyMs.set(file, await timeDuckDbOnly(warehouse, file, params));
    progress(`    every analysis's result read again from a table, its computation done beforehand`);
    for (const file of ANALYSES) readOnlyMs.set(file, await timeReadOnly(warehouse, file, params));
    for (const [table] of [...RUN_STAGING, ...SLICE_STAGING]) await warehouse.replaceRows(table, [], JOB);
  }
  return {
    name,
    run,
    wallMs,
    cpuMs: jobCpuMs,
    queries,
    calls,
    publishMs,
    rssBefore,
    heapBefore,
    peaks,
    highWater,
    documentBytes,
    duckDbOnlyMs,
    readOnlyMs,
  };
}

/**
 * The file as the adapter runs it, wrapped in an aggregate: DuckDB's share of the query's time, without rows
 * to JS. The hash of every whole row keeps DuckDB from skipping columns a bare count(*) would not need.
 */
async function timeDuckDbOnly(warehouse: DuckDbWarehouse, file: string, params: SqlParams): Promise<number> {
  const { sql, values } = await duckDbFile(file, params);
  const startedAt = performance.now();
  // The newline keeps a trailing comment of the file from swallowing the parenthesis.
  await warehouse.sql(`SELECT count(*) AS n, max(hash(result)) AS h FROM (${sql}\n) AS result`, values);
  return performance.now() - startedAt;
}

/**
 * The other half of a query's cost: its result, computed beforehand into a TEMP table, read into the port's
 * rows the way the adapter reads a file's (every column, whole). No analysis can cost less than this.
 */
async function timeReadOnly(warehouse: DuckDbWarehouse, file: string, params: SqlParams): Promise<number> {
  const { sql, values } = await duckDbFile(file, params);
  await warehouse.sql(`CREATE TEMP TABLE bench_result AS ${sql}\n`, values);
  try {
    const startedAt = performance.now();
    await warehouse.rows('SELECT * FROM bench_result');
    return performance.now() - startedAt;
  } finally {
    await warehouse.sql('DROP TABLE bench_result');
  }
}

/** A file of `sql/` as the adapter runs it: through the dialect bridge, with the parameters it uses bound. */
async function duckDbFile(file: string, params: SqlParams): Promise<{ sql: string; values: Record<string, DuckDBValue> }> {
  const text = await readSqlFile(`${file}.sql`);
  const values = Object.fromEntries(Object.entries(usedParams(text, params, file)).map(([k, v]) => [k, duckDbParam(v)]));
  return { sql: toDuckDbQuery(text), values };
}

type PublishResult = { name: string; documents: number; ms: number; checked: boolean; unit: string };

async function timeFirestore(entries: readonly PublishedPatterns[]): Promise<PublishResult[]> {
  progress('starting the Firestore emulator');
  const pending = freePort().then((port) => startEmulator('firestore', { port, projectId: PROJECT }));
  void start(pending);
  const emulator = await pending;
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  const firestore = new Firestore({ projectId: PROJECT });
  cleanup(() => firestore.terminate());
  const results: PublishResult[] = [];

  // A few documents first: the client's channel and the emulator's JIT, not part of the rate.
  await createFirestorePatternPublisher(firestore).publish(entries.slice(0, 50).map((e) => ({ ...e, userId: `warm-up-${e.userId}` })));

  progress(`    publishing ${entries.length} shoppers' patterns with createFirestorePatternPublisher`);
  let startedAt = performance.now();
  const { written } = await createFirestorePatternPublisher(firestore).publish(entries);
  const ms = performance.now() - startedAt;
  const sample = entries[Math.floor(entries.length / 2)];
  const stored = sample ? await firestore.collection(COLLECTIONS.preferences).doc(sample.userId).get() : undefined;
  const storedItems: unknown = stored?.get('patterns.regular_items');
  const checked = written === entries.length && JSON.stringify(storedItems) === JSON.stringify(sample?.patterns.regular_items);
  results.push({
    name: 'createFirestorePatternPublisher (BulkWriter, default throttling)',
    documents: written,
    ms,
    checked,
    unit: 'writes/s',
  });
  progress(`    ${written} documents in ${(ms / 1000).toFixed(1)} s: ${rate(written, ms)} writes/s`);

  // The same writes with the BulkWriter's ramp-up throttle off: what bounds the figure above.
  progress('    the same writes, BulkWriter without throttling (comparison)');
  const writer = firestore.bulkWriter({ throttling: false });
  let failed = 0;
  startedAt = performance.now();
  for (const { userId, patterns } of entries) {
    writer
      .set(firestore.collection(COLLECTIONS.preferences).doc(userId), { patterns }, { mergeFields: ['patterns'] })
      .catch(() => (failed += 1));
  }
  await writer.close();
  const unthrottledMs = performance.now() - startedAt;
  results.push({
    name: 'BulkWriter({ throttling: false }), same writes (comparison)',
    documents: entries.length - failed,
    ms: unthrottledMs,
    checked: failed === 0,
    unit: 'writes/s',
  });
  progress(`    ${entries.length} documents in ${(unthrottledMs / 1000).toFixed(1)} s: ${rate(entries.length, unthrottledMs)} writes/s`);

  // What the job asks Firestore before any analysis: the active shoppers' privacy flags (none stored
  // here, so each shopper costs the privacy document and the tombstone, both missing).
  progress(`    reading ${entries.length} shoppers' privacy flags with the privacy store's readMany`);
  const privacy = createFirestorePrivacyStore(firestore, { hashUser: createUserHasher('bench-user-hash-key-that-is-long-enough') });
  startedAt = performance.now();
  const flags = await privacy.readMany(entries.map((e) => e.userId));
  const readMs = performance.now() - startedAt;
  results.push({
    name: 'createFirestorePrivacyStore(…).readMany (privacy document + tombstone per shopper)',
    documents: flags.size,
    ms: readMs,
    checked: flags.size === entries.length,
    unit: 'shoppers/s',
  });
  progress(`    ${flags.size} shoppers in ${(readMs / 1000).toFixed(1)} s: ${rate(flags.size, readMs)} shoppers/s`);
  return results;
}

// The data, described from the warehouse itself.

type DataFacts = {
  rows: Record<string, number>;
  types: [string, number][];
  shoppers: number;
  orders: number;
  activeShoppers: number;
  fileBytes: number;
};

async function describeData(warehouse: DuckDbWarehouse, path: string): Promise<DataFacts> {
  const value = (row: Record<string, unknown> | undefined, key: string) => Number(row?.[key] ?? 0);
  const [events] = await warehouse.sql('SELECT count(*) AS n, count(DISTINCT user_id) AS shoppers FROM events');
  const [items] = await warehouse.sql('SELECT count(*) AS n, count(DISTINCT (user_id, event_id)) AS orders FROM order_items');
  const types = await warehouse.sql('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC');
  const [active] = await warehouse.sql('SELECT count(DISTINCT user_id) AS n FROM events WHERE received_at >= $since', {
    since: duckDbParam(ACTIVE_SINCE),
  });
  return {
    rows: { events: value(events, 'n'), order_items: value(items, 'n') },
    types: types.map((t) => [t.type as string, Number(t.n)]),
    shoppers: value(events, 'shoppers'),
    orders: value(items, 'orders'),
    activeShoppers: value(active, 'n'),
    fileBytes: statSync(path).size,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  progress(`[1/4] data: ${SPEC.shoppers.toLocaleString('en')} shoppers, ${SPEC.events.toLocaleString('en')} events, seed ${SPEC.seed}`);
  const data = await ensurePatternsData(SPEC, DATA_DIR, progress);
  // The job writes (staging tables, user_patterns, job_runs): it runs on a copy, so the kept file stays
  // as generated and every run starts from the same storage.
  const workingCopy = join(DATA_DIR, `run-${process.pid}.duckdb`);
  cleanup(async () => {
    for (const file of [workingCopy, `${workingCopy}.wal`]) rmSync(file, { force: true });
  });
  let copyMs = performance.now();
  copyFileSync(data.path, workingCopy);
  copyMs = performance.now() - copyMs;
  progress(`    copied to ${workingCopy} in ${(copyMs / 1000).toFixed(0)} s`);
  const warehouse = await createDuckDbWarehouse(workingCopy);
  cleanup(() => warehouse.close());
  // The job's own tables start empty, whatever the kept file holds.
  for (const table of ['user_patterns', 'user_patterns_staging', 'job_runs']) await warehouse.sql(`DELETE FROM ${table}`);
  const facts = await describeData(warehouse, data.path);
  progress(
    `    ${facts.rows.events} events, ${facts.rows.order_items} order lines in ${facts.orders} orders, ${facts.shoppers} shoppers, ${facts.activeShoppers} active since ${ACTIVE_SINCE.toISOString()}`,
  );

  progress(`[2/4] baseline: a full-scan aggregation, ${SCANS} times after a warm-up`);
  const scans = [await timeScan(warehouse, 'events', SCANS_SQL.events), await timeScan(warehouse, 'order_items', SCANS_SQL.order_items)];

  progress('[3/4] the patterns job');
  const publisher = countingPublisher(PUBLISH);
  progress(`  backfill: since ${BEGINNING.toISOString()}, user_patterns empty`);
  const backfill = await timeJob(warehouse, 'backfill (since 1970, first run)', BEGINNING, publisher);
  progress(`    ${(backfill.wallMs / 1000).toFixed(1)} s, peak RSS ${mb(backfill.highWater ?? backfill.peaks.rss)} MB`);
  // Every stored fingerprint made stale: each shopper the next run recomputes counts as changed.
  await warehouse.sql("UPDATE user_patterns SET fingerprint = 'stale-' || fingerprint");
  progress(`  incremental: since ${ACTIVE_SINCE.toISOString()}, user_patterns holding every shopper (stale)`);
  const incremental = await timeJob(warehouse, `incremental (since AS_OF − 7 days)`, ACTIVE_SINCE, publisher);
  progress(`    ${(incremental.wallMs / 1000).toFixed(1)} s, peak RSS ${mb(incremental.highWater ?? incremental.peaks.rss)} MB`);

  let firestore: PublishResult[] = [];
  if (PUBLISH > 0 && publisher.kept.length > 0) {
    progress(`[4/4] Firestore: ${publisher.kept.length} shoppers' patterns to the emulator`);
    firestore = await timeFirestore(publisher.kept);
  } else {
    progress('[4/4] Firestore: skipped (--publish=0)');
  }

  const [version] = await warehouse.sql('SELECT version() AS v');
  const text = report({
    startedAt,
    loadBefore,
    loadAfter: loadavg(),
    data,
    duckDbVersion: version?.v as string,
    facts,
    scans,
    jobs: [incremental, backfill],
    firestore,
  });
  mkdirSync(`${ROOT}out`, { recursive: true });
  writeFileSync(`${ROOT}out/bench-patterns.md`, text);
  process.stdout.write(text);
  progress('written to out/bench-patterns.md');
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const rate = (n: number, ms: number) => (ms > 0 ? String(Math.round((n * 1000) / ms)) : 'n/a');
const median = (xs: readonly number[]) => {
  const sorted = xs.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const thousands = (n: number) => n.toLocaleString('en');

const CHECKPOINT_STEP = 'CHECKPOINT after the run (the log into the file)';
const PUBLISH_STEP = 'publish (in-memory publisher)';
const JS_STEP = 'JS between the calls: parse rows, build patterns, fingerprints';
const loadStep = (table: string) => `load ${table} (replaceRows)`;

/** `calls`: how often the run took the step (once per slice for most). */
type Step = { step: string; rows: number | null; ms: number; duckDbOnlyMs: number | null; readOnlyMs: number | null; calls: number };

/** The run's time by step: each warehouse call, publishing, and the job's own JS in between. */
function steps(job: JobResult): Step[] {
  const logged = [...job.queries];
  const rows: Step[] = job.calls.map((call) => {
    const file = call.name.replace(/\.sql$/, '');
    // A query's figures as the job logged them ('query … done'); the wrapper's for what it does not log.
    const line = call.kind === 'query' ? logged.find((q) => q.query === file) : undefined;
    if (line) logged.splice(logged.indexOf(line), 1);
    return {
      step: call.kind === 'replaceRows' ? loadStep(call.name) : call.kind === 'checkpoint' ? CHECKPOINT_STEP : call.name,
      rows: line?.rows ?? call.rows,
      ms: line?.ms ?? call.ms,
      duckDbOnlyMs: job.duckDbOnlyMs.get(file) ?? null,
      readOnlyMs: job.readOnlyMs.get(file) ?? null,
      calls: 1,
    };
  });
  // A step taken once per slice is shown once, its rows and time added up over the slices.
  const merged = new Map<string, Step>();
  for (const row of rows) {
    const seen = merged.get(row.step);
    if (!seen) merged.set(row.step, { ...row });
    else Object.assign(seen, { rows: (seen.rows ?? 0) + (row.rows ?? 0), ms: seen.ms + row.ms, calls: seen.calls + 1 });
  }
  rows.length = 0;
  rows.push(...merged.values());
  rows.push({ step: PUBLISH_STEP, rows: job.run.changed, ms: job.publishMs, duckDbOnlyMs: null, readOnlyMs: null, calls: 1 });
  // Mostly parsing rows (zod), building patterns and fingerprints, after the last analysis.
  const accounted = rows.reduce((sum, r) => sum + r.ms, 0);
  rows.push({ step: JS_STEP, rows: null, ms: Math.max(0, job.wallMs - accounted), duckDbOnlyMs: null, readOnlyMs: null, calls: 1 });
  return rows;
}

function report(r: {
  startedAt: Date;
  loadBefore: number[];
  loadAfter: number[];
  data: { path: string; reused: boolean; seconds: number };
  duckDbVersion: string;
  facts: DataFacts;
  scans: Scan[];
  jobs: JobResult[];
  firestore: PublishResult[];
}): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const [eventsScan, itemsScan] = r.scans;
  const scanMs = median(eventsScan?.ms ?? []);
  const scanCpuMs = median(eventsScan?.cpuMs ?? []);
  const met = (ok: boolean) => (ok ? 'met' : 'missed');
  const args = process.argv.slice(2).join(' ');
  const heapLimit = getHeapStatistics().heap_size_limit;
  const lines = [
    `Measured ${r.startedAt.toISOString()} with \`npm run bench:patterns\`${args ? ` (${args})` : ''}, ${cpus().length} cores, ` +
      `load average (1/5/15 min) ${load(r.loadBefore)} before and ${load(r.loadAfter)} after. Node ${process.version} (JS heap limit ${mb(heapLimit)} MB), ` +
      `DuckDB ${r.duckDbVersion} in the same process.`,
    '',
    '#### Data',
    '',
    `${thousands(SPEC.shoppers)} shoppers, ${thousands(SPEC.events)} events, seed ${SPEC.seed}; ${r.data.reused ? 'a kept file' : `generated in ${r.data.seconds.toFixed(0)} s`} ` +
      `(${(r.facts.fileBytes / 1e9).toFixed(2)} GB), over the ${WINDOW_DAYS} days before as_of ${AS_OF.toISOString()}.`,
    '',
    '| table | rows | |',
    '|---|---:|---|',
    `| events | ${thousands(r.facts.rows.events ?? 0)} | ${r.facts.types.map(([t, n]) => `${t} ${((100 * n) / (r.facts.rows.events || 1)).toFixed(1)} %`).join(', ')} |`,
    `| order_items | ${thousands(r.facts.rows.order_items ?? 0)} | ${thousands(r.facts.orders)} orders, ${((r.facts.rows.order_items ?? 0) / (r.facts.orders || 1)).toFixed(1)} lines each |`,
    '',
    `${thousands(r.facts.shoppers)} shoppers have events; ${thousands(r.facts.activeShoppers)} (${((100 * r.facts.activeShoppers) / (r.facts.shoppers || 1)).toFixed(1)} %) ` +
      `received since ${ACTIVE_SINCE.toISOString()}.`,
    '',
    '#### Baseline: full-scan aggregations in the same DuckDB',
    '',
    `${SCANS} timed runs each, after a warm-up run; CPU is this process's, all threads (DuckDB's included).`,
    '',
    '| scan | median ms | min / max ms | median CPU ms | result |',
    '|---|---:|---:|---:|---|',
    ...r.scans.map(
      (s) =>
        `| \`${s.sql}\` | ${median(s.ms).toFixed(0)} | ${Math.min(...s.ms).toFixed(0)} / ${Math.max(...s.ms).toFixed(0)} | ${median(s.cpuMs).toFixed(0)} | ${s.result} |`,
    ),
    '',
    `The ratios below divide by the events scan's medians (${scanMs.toFixed(0)} ms, CPU ${scanCpuMs.toFixed(0)} ms); the order_items scan ` +
      `(${median(itemsScan?.ms ?? []).toFixed(0)} ms) is there because most analyses read that table.`,
    '',
    '#### The patterns job',
    '',
    '| run | shoppers | slices of ≤ ' +
      thousands(SLICE) +
      ' | changed (published) | result rows | job s | job / scan | CPU s | job / scan by CPU | < 60 s | job / floor | < 2× floor | RSS / JS heap before MB | peak RSS MB (VmHWM) | peak RSS / JS heap MB (100 ms samples; longest gap ms) | patterns JSON bytes mean / max |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|',
    ...r.jobs.map((j) => {
      const ratio = j.wallMs / scanMs;
      const floor = floorMs(j);
      const overFloor = floor === null ? null : j.wallMs / floor.ms;
      return (
        `| ${j.name} | ${thousands(j.run.shoppers)} | ${Math.max(1, Math.ceil(j.run.shoppers / SLICE))} | ${thousands(j.run.changed)} | ${thousands(j.run.result_rows)} | **${seconds(j.wallMs)}** | **${ratio.toFixed(0)}×** | ` +
        `${seconds(j.cpuMs)} | ${(j.cpuMs / scanCpuMs).toFixed(0)}× | ${met(j.wallMs < TARGET_SECONDS * 1000)} | ${overFloor === null ? 'n/a' : `**${overFloor.toFixed(2)}×**`} | ${overFloor === null ? 'n/a (--duckdb-alone)' : met(overFloor < TARGET_FLOOR_RATIO)} | ${mb(j.rssBefore)} / ${mb(j.heapBefore)} | ` +
        `${j.highWater === null ? 'n/a' : `**${mb(j.highWater)}**`} | ${mb(j.peaks.rss)} / ${mb(j.peaks.heapUsed)}; ${j.peaks.longestGapMs.toFixed(0)} | ` +
        `${j.documentBytes.mean.toFixed(0)} / ${j.documentBytes.max} |`
      );
    }),
    '',
    "Where the time goes, per step: the queries' rows and ms as the job logs them (`query … done`: the adapter call, rows converted to JS included), " +
      'the other calls timed around the warehouse' +
      (r.jobs.some((j) => j.duckDbOnlyMs.size > 0)
        ? '; "DuckDB alone": the same file wrapped in `SELECT count(*), max(hash(result)) FROM (…) AS result` after the run, every column computed, no rows to JS (the staging statements run as they are, for the whole run); ' +
          '"reading alone": the same result computed beforehand into a TEMP table, then read whole into JS rows the way the adapter reads a query\'s'
        : '') +
      '.',
    '',
    `| step | ${r.jobs.map((j) => `${j.name}: rows | ms | share | DuckDB alone ms | reading alone ms`).join(' | ')} |`,
    `|---|${r.jobs.map(() => '---:|---:|---:|---:|---:').join('|')}|`,
    ...mergeSteps(r.jobs.map(steps)).map(
      ([step, cells]) =>
        `| ${step} | ${cells
          .map((c, i) => {
            const job = r.jobs[i];
            if (!c || !job) return ' | | | | ';
            const optional = (ms: number | null) => (ms === null ? '' : ms.toFixed(0));
            return `${c.rows === null ? '' : thousands(c.rows)}${c.calls > 1 ? ` (${c.calls} calls)` : ''} | ${c.ms.toFixed(0)} | ${((100 * c.ms) / job.wallMs).toFixed(0)} % | ${optional(c.duckDbOnlyMs)} | ${optional(c.readOnlyMs)}`;
          })
          .join(' | ')} |`,
    ),
    `| **total** | ${r.jobs.map((j) => `${thousands(j.run.result_rows)} | **${j.wallMs.toFixed(0)}** | 100 % | | `).join(' | ')} |`,
    '',
    ...r.jobs.flatMap((j) => {
      const floor = floorMs(j);
      if (floor === null) return [];
      return [
        `Floor, ${j.name}: with every analysis's computation free, reading its rows alone (${seconds(floor.readingMs)} s), the job's own JS, ` +
          `and loading, merging and checkpointing the changed shoppers' patterns (${seconds(floor.writingMs)} s) add up to **${seconds(floor.ms)} s**, ` +
          `**${(floor.ms / scanMs).toFixed(1)}×** the events scan.`,
      ];
    }),
    '',
    ...r.jobs.map((j) => {
      const floor = floorMs(j);
      return (
        `Targets, ${j.name}: under ${TARGET_SECONDS} s **${met(j.wallMs < TARGET_SECONDS * 1000)}** (${seconds(j.wallMs)} s); ` +
        (floor === null
          ? `within ${TARGET_FLOOR_RATIO}× its floor: not measured (--duckdb-alone measures the floor).`
          : `within ${TARGET_FLOOR_RATIO}× its floor **${met(j.wallMs < TARGET_FLOOR_RATIO * floor.ms)}** (${(j.wallMs / floor.ms).toFixed(2)}× of ${seconds(floor.ms)} s); ` +
            `${(j.wallMs / scanMs).toFixed(0)}× the events scan by wall time, ${(j.cpuMs / scanCpuMs).toFixed(0)}× by CPU.`)
      );
    }),
    '',
  ];
  if (r.firestore.length > 0) {
    const first = r.jobs.find((j) => j.run.since === BEGINNING.toISOString());
    lines.push(
      '#### Publishing to the Firestore emulator',
      '',
      '| client | documents / shoppers | s | rate | checked |',
      '|---|---:|---:|---:|---|',
      ...r.firestore.map(
        (f) =>
          `| ${f.name} | ${thousands(f.documents)} | ${seconds(f.ms)} | **${rate(f.documents, f.ms)}** ${f.unit} | ${f.checked ? 'yes' : 'NO'} |`,
      ),
      '',
    );
    const [publish, , read] = r.firestore;
    if (publish && read && first) {
      lines.push(
        `At these rates the backfill's ${thousands(first.run.changed)} changed shoppers would take ${seconds((first.run.changed * publish.ms) / (publish.documents || 1))} s ` +
          `to publish, and reading the privacy flags of its ${thousands(first.run.shoppers)} shoppers ${seconds((first.run.shoppers * read.ms) / (read.documents || 1))} s.`,
        '',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What no version of the analyses' SQL can take away from a run: reading their results into JS, the job's
 * own JS on them, and writing the changed shoppers' patterns. A lower bound: reading a stored result is
 * no slower than reading it as it is computed, and the residual JS shrinks when calls overlap.
 */
function floorMs(job: JobResult): { ms: number; readingMs: number; writingMs: number } | null {
  if (job.readOnlyMs.size === 0) return null;
  const all = steps(job);
  const readingMs = [...job.readOnlyMs.values()].reduce((a, b) => a + b, 0);
  const writing = [loadStep('user_patterns_staging'), 'merge_user_patterns.sql', CHECKPOINT_STEP, PUBLISH_STEP];
  const writingMs = all.filter((s) => writing.includes(s.step)).reduce((sum, s) => sum + s.ms, 0);
  const jsMs = all.find((s) => s.step === JS_STEP)?.ms ?? 0;
  return { ms: readingMs + writingMs + jsMs, readingMs, writingMs };
}

/** The steps of several runs side by side, by name, in the order they first appear. */
function mergeSteps<T extends { step: string }>(runs: T[][]): [string, (T | undefined)[]][] {
  const order: string[] = [];
  for (const run of runs) for (const s of run) if (!order.includes(s.step)) order.push(s.step);
  return order.map((step) => [step, runs.map((run) => run.find((s) => s.step === step))]);
}

try {
  await main();
} finally {
  await stopAll();
}
