import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Firestore } from '@google-cloud/firestore';
import { createFirestoreImportLedger } from '../../functions/adapters/gcp/firestore-import-ledger.ts';
import { createFirestoreHistorySeeder } from '../../functions/adapters/gcp/firestore-preference-store.ts';
import { createFirestorePrivacyStore } from '../../functions/adapters/gcp/firestore-privacy-store.ts';
import { createFirestoreShopperGate } from '../../functions/adapters/gcp/firestore-shopper-gate.ts';
import { createDuckDbImportStaging } from '../../functions/adapters/local/duckdb-import-staging.ts';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { createLocalHistoryFiles } from '../../functions/adapters/local/local-history-files.ts';
import { csvRecords } from '../../functions/history/csv.ts';
import {
  planImport,
  RESUME_WINDOW_DAYS,
  runImport,
  SEED_SLICE_SHOPPERS,
  SLICE_ROWS,
  type ImportRecord,
} from '../../functions/history/import-job.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { freePort, startEmulator } from '../../functions/local/emulators.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import { createUserHasher } from '../../functions/privacy/user-hash.ts';
import { ORDER_LINES_HEADER, orderLines, shopperOrders, type HistorySpec } from '../history/generated-history.ts';

// `npm run bench:import`: a history import at the size, 10,000,000 CSV order lines by default, into a DuckDB
// file and the Firestore emulator, through the import's own code (functions/history/import-job.ts) with its real
// adapters: the file streamed slice by slice into DuckDB's appender, merged, and every shopper seeded in Firestore.
// Against it, in the same run, one plain scan of the same file (read and split into lines) and one CSV parse of it:
// the floor any import stands on. These machines are too noisy for absolute numbers alone.
// The file is generated once from a seed (test/history/generated-history.ts) and kept in --data-dir. The patterns
// job's run over the import is left out: `npm run bench:patterns` measures it at this size.
// Options (or BENCH_<NAME>): --lines=N (10000000), --seed=N (1), --days=N (180), --data-dir=PATH.

const argument = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
  process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
const LINES = Number(argument('lines') ?? 10_000_000);
const SEED = Number(argument('seed') ?? 1);
const DAYS = Number(argument('days') ?? 180);
const DATA_DIR = argument('data-dir') ?? join(tmpdir(), 'grocery-bench');
const NOW = new Date('2026-06-01T12:00:00.000Z');
/** Bump when the file's rows change: a kept file of another version is not reused. */
const GENERATOR_VERSION = 1;

const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** The CSV file of at least `lines` order lines, generated shopper by shopper (and kept), and how many shoppers it holds. */
async function ensureFile(): Promise<{ path: string; shoppers: number }> {
  mkdirSync(DATA_DIR, { recursive: true });
  const base = join(DATA_DIR, `orders-${LINES}-seed${SEED}-days${DAYS}-v${GENERATOR_VERSION}`);
  const path = `${base}.csv`;
  const countFile = `${base}.shoppers`;
  if (existsSync(path) && existsSync(countFile))
    return { path, shoppers: Number((await import('node:fs')).readFileSync(countFile, 'utf8')) };
  log(`generating ${LINES} order lines in ${path}`);
  const spec: HistorySpec = { seed: SEED, shoppers: Number.MAX_SAFE_INTEGER, days: DAYS, end: new Date(NOW.getTime() - DAY_MS) };
  const out = createWriteStream(`${path}.partial`);
  let written = 0;
  let shoppers = 0;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${ORDER_LINES_HEADER}\n`);
  while (written < LINES) {
    let chunk = '';
    for (const order of shopperOrders(spec, shoppers)) {
      chunk += `${orderLines(order)}\n`;
      written += order.items.length;
    }
    shoppers += 1;
    await write(chunk);
    if (shoppers % 10_000 === 0) log(`  ${shoppers} shoppers, ${written} lines`);
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.partial`, path);
  (await import('node:fs')).writeFileSync(countFile, String(shoppers));
  return { path, shoppers };
}

/** The floor: the file read and split into lines, nothing else. */
async function scanLines(path: string): Promise<{ lines: number; ms: number }> {
  const started = performance.now();
  let lines = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    for (let i = (chunk as string).indexOf('\n'); i !== -1; i = (chunk as string).indexOf('\n', i + 1)) lines += 1;
  }
  return { lines, ms: performance.now() - started };
}

/** The file read as CSV records, as the import reads it. */
async function scanRecords(path: string): Promise<{ records: number; ms: number }> {
  const started = performance.now();
  let records = 0;
  for await (const _ of csvRecords(createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }), {
    maxRecordChars: LIMITS.maxEventBytes,
  }))
    records += 1;
  return { records, ms: performance.now() - started };
}

async function main(): Promise<void> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { path, shoppers } = await ensureFile();
  const bytes = statSync(path).size;
  log(`file: ${path}, ${mb(bytes)} MB, ${shoppers} shoppers`);
  const scan = await scanLines(path);
  log(`scan: ${scan.lines} lines in ${(scan.ms / 1000).toFixed(1)} s`);
  const parse = await scanRecords(path);
  log(`CSV parse: ${parse.records} records in ${(parse.ms / 1000).toFixed(1)} s`);

  const emulator = await startEmulator('firestore', { port: await freePort(), projectId: 'demo-bench-import' });
  const workDir = join(tmpdir(), `import-bench-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const warehouse = await createDuckDbWarehouse(join(workDir, 'warehouse.duckdb'));
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  const firestore = new Firestore({ projectId: 'demo-bench-import', ignoreUndefinedProperties: true });
  try {
    const hashUser = createUserHasher('import-bench-key-0123456789abcdef01234');
    const privacy = createFirestorePrivacyStore(firestore, { hashUser });
    const ledger = createFirestoreImportLedger<ImportRecord>(firestore);
    let heapMax = 0;
    let rssMax = 0;
    /** The import's phase as last reported, and the most JS heap each phase used. */
    let phase = 'loading';
    const heapByPhase: Record<string, number> = {};
    const sample = () => {
      const { heapUsed, rss } = process.memoryUsage();
      heapMax = Math.max(heapMax, heapUsed);
      rssMax = Math.max(rssMax, rss);
      heapByPhase[phase] = Math.max(heapByPhase[phase] ?? 0, mb(heapUsed));
    };
    const sampler = setInterval(sample, 250);
    let last = 0;
    const phases: Record<string, number> = {};
    const started = performance.now();
    const deps = {
      files: createLocalHistoryFiles(),
      gate: createFirestoreShopperGate(firestore, { privacy, hashUser }),
      staging: createDuckDbImportStaging(warehouse),
      warehouse,
      seeder: createFirestoreHistorySeeder(firestore, {
        learn,
        hashUser,
        liveWindowMs: DEFAULT_TIME_LIMITS.maxEventAgeMs,
        resumeWindowMs: RESUME_WINDOW_DAYS * DAY_MS,
      }),
      patterns: { run: async () => ({ left_out: 'measured by npm run bench:patterns' }) },
      ledger,
      clock: () => NOW,
      logger: createLogger({ minSeverity: 'WARNING' }),
      maxFutureSkewMs: DEFAULT_TIME_LIMITS.maxFutureSkewMs,
      progressEveryMs: 5_000,
      onProgress: (record: ImportRecord) => {
        phase = record.phase;
        sample();
        phases[record.phase] ??= performance.now() - started;
        if (performance.now() - last < 5_000) return;
        last = performance.now();
        const p = record.progress;
        log(
          `${record.phase}: lines ${p.lines_read}, events ${p.events_staged}, rejected ${p.rejected_rows}, shoppers seeded ${p.shoppers_seeded}, heap ${mb(process.memoryUsage().heapUsed)} MB`,
        );
      },
    };
    const { record } = await planImport(deps, { format: 'csv', source: path });
    const report = await runImport(deps, record);
    clearInterval(sampler);
    sample();
    const seconds = (performance.now() - started) / 1000;
    const lines = report.progress.lines_read - 1;
    const result = {
      measured: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        load: loadavg().map((l) => Math.round(l * 100) / 100),
        heapLimitMb: mb(getHeapStatistics().heap_size_limit),
      },
      file: { lines, bytes, shoppers },
      slices: { rows: SLICE_ROWS, seedShoppers: SEED_SLICE_SHOPPERS },
      scan: { seconds: scan.ms / 1000, linesPerSecond: Math.round(scan.lines / (scan.ms / 1000)) },
      parse: { seconds: parse.ms / 1000, linesPerSecond: Math.round(parse.records / (parse.ms / 1000)) },
      load: { seconds: report.ms.load / 1000, linesPerSecond: Math.round(lines / (report.ms.load / 1000)) },
      seed: {
        seconds: report.ms.seed / 1000,
        shoppers: report.progress.shoppers_seeded,
        shoppersPerSecond: Math.round(report.progress.shoppers_seeded / (report.ms.seed / 1000)),
        writes: report.progress.seeding_writes,
        writesPerShopper: report.progress.seeding_writes / report.progress.shoppers_seeded,
      },
      total: { seconds, linesPerSecond: Math.round(lines / seconds) },
      imported: report.imported,
      memory: { heapMaxMb: mb(heapMax), heapMaxMbByPhase: heapByPhase, rssMaxMb: mb(rssMax), fileMb: mb(bytes) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await firestore.terminate().catch(() => undefined);
    await warehouse.close().catch(() => undefined);
    await emulator.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
