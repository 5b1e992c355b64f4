import { Firestore } from '@google-cloud/firestore';
import { DuckDBInstance } from '@duckdb/node-api';
import { shopperRefs } from '../../functions/adapters/gcp/shopper-documents.ts';
import type { ClientEvent } from '../../functions/events/schema.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import type { Logger } from '../../functions/logging/logger.ts';
import {
  createFirestorePreferenceDocumentReader,
  createFirestoreReorderModelReader,
  createRankingWeightsReader,
  createFirestoreSearchPreferenceReader,
  createSearchPersonalizer,
  createUserHasher,
} from '../../functions/search/index.ts';
import { createFirestoreWeightsStore } from '../../functions/adapters/gcp/firestore-weights-store.ts';
import { trialStart, weightsExperimentId } from '../../functions/kernel/weights-versions.ts';
import { runWeightsCommand } from '../../functions/local/weights.ts';
import { startStack, type RunningStack } from './local-stack.ts';
import { judgedFromDay, score, type Score } from './score.ts';
import { buildWorld, controlSwaps, emptyLedger, shopTrip, type RunOptions, type TripPorts } from './trip.ts';
import { orderLinesCsv, shopHistory } from './history.ts';
import { parseImportArgs, runImportCommand } from '../../functions/local/import.ts';
import type { ImportReport } from '../../functions/history/import-job.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The shopper simulation: simulated shoppers search, click, fill carts and order through the real local
// stack over HTTP (collect with real tokens → Pub/Sub → ingest → DuckDB and Firestore), the batch jobs run
// at each simulated day's end with as_of set to it (patterns, metrics, the ranking weights' fit), and the
// treatment arm's results are re-ranked by the search package over the emulator's preference documents, with the
// weights versions the weights job saved there: control searches log their signal values and a tenth of them swap
// two adjacent results, a challenger the fit saves is tried on half the personalized arm, as deployed, and an
// operator promotes it once the trial's readout says it wins (`promote`).
//
// Simulated time: the N whole UTC days ending at today's midnight. Each event's occurred_at is its
// simulated time and sent_at the moment it is sent, so collect's skew rule
// (event_time = received_at − (sent_at − occurred_at)) puts it on its simulated day, within the 30-day limit.

export type SimulationOptions = RunOptions & {
  /** Sessions in flight at once. */
  concurrency?: number;
  /** Longest wait for a day's events to be learned, ms. */
  drainTimeoutMs?: number;
  logger?: Logger;
  /** What the run is doing, and how far it is, 0–1. */
  progress?: (text: string, fraction: number) => void;
  /**
   * Whether the operator of docs/weights.md is played: each morning the running trial's readout is read, and a
   * challenger whose MRR gain's interval is above 0 is promoted with `npm run weights -- promote`'s code. Default true.
   */
  promote?: boolean;
};

export type JobRun = { job: 'patterns' | 'weights' | 'metrics'; day: number; status: number; ms: number; summary: Record<string, unknown> };
export type MetricRow = {
  metric: string;
  experiment: string;
  arm: string;
  dimension: string;
  numerator: number;
  denominator: number;
  value: number;
  ci_low: number | null;
  ci_high: number | null;
};

/** The history imported before the first live day (`--history-days`), and what the import reported. */
export type ImportedHistory = { days: number; orders: number; lines: number; report: ImportReport | null; wallSeconds: number };

export type SimulationResult = {
  options: { shoppers: number; days: number; seed: number; historyDays: number };
  history: ImportedHistory;
  startedAt: string;
  calendar: { from: string; to: string; dates: string[] };
  catalog: { products: number; categories: number; brands: number };
  sent: {
    requests: number;
    events: number;
    accepted: number;
    rejected: number;
    byType: Record<string, number>;
    orderLines: number;
    searches: number;
    personalizedReasons: Record<string, number>;
  };
  pipeline: {
    /** Σ event_count over the shoppers' preference documents after the last day, less what seeding learned from history. */
    learnedInFirestore: number;
    /** Distinct event ids in the warehouse's events table, and rows of order_items, read after the stack stopped. */
    warehouseEvents: number;
    warehouseOrderLines: number;
    ingestedMessages: number;
    /** collect received → ingest started, ms, from ingest's own log. */
    ingestLagMs: { p50: number; p95: number; max: number };
    /** Per day: the last request answered → every event of the day learned in Firestore, ms. */
    drainMs: number[];
    /** Events accepted per second of sending, and per second from the first send to the last day drained. */
    collectEventsPerSecond: number;
    endToEndEventsPerSecond: number;
    jobs: JobRun[];
    /** The metrics job's CTR rows per arm and day: the warehouse's own count of what was sent. */
    warehouseCtr: { day: number; arm: string; numerator: number; denominator: number }[];
    /** Its MRR rows alike: Σ reciprocal ranks over searches. */
    warehouseMrr: { day: number; arm: string; numerator: number; denominator: number }[];
    /**
     * The metrics job's readout of the ranking weights' trials over the days after the first week (all days in a
     * shorter run): `challenger_ctr_gain` and `challenger_mrr_gain` per challenger, with their 95% intervals.
     */
    challengerReadout: MetricRow[];
    /** Each promotion the operator made: after which night, which version, and the readout it went by. */
    promotions: { day: number; version: string; gain: number; ci_low: number | null; ci_high: number | null; searches: number }[];
  };
  score: Score;
  wallSeconds: number;
};

const DAY_MS = 86_400_000;

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  if (!(options.days >= 1 && options.days <= 25)) throw new Error('--days must be 1–25: collect refuses events older than 30 days');
  if (!(options.shoppers >= 1)) throw new Error('--shoppers must be at least 1');
  const progress = options.progress ?? (() => undefined);
  const log = options.logger;
  const wallStart = Date.now();
  const { world, shoppers } = buildWorld(options);
  const { catalog, categoryOfBrand, dayStart, dates } = world;
  const historyDays = options.historyDays ?? 0;
  if (!(historyDays >= 0 && historyDays <= 365)) throw new Error('--history-days must be 0–365');
  // The shoppers' days before the loop: shopped here, and imported into the stack once it runs.
  const ledger = emptyLedger();
  const history = await shopHistory(world, shoppers, ledger, historyDays, (day) =>
    progress(`history day ${day + historyDays + 1}/${historyDays}`, 0),
  );

  // The Google clients must not look for a metadata server.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  progress('starting the local stack', 0);
  const stack: RunningStack = await startStack();
  const firestore = new Firestore({ projectId: LOCAL.projectId, host: `127.0.0.1:${stack.ports.firestore}`, ssl: false });
  const result = await (async () => {
    try {
      return await drive();
    } finally {
      await firestore.terminate().catch(() => undefined);
    }
  })().finally(() => stack.stop());
  const warehouse = await countWarehouse(stack.warehouseFile);
  result.pipeline.warehouseEvents = warehouse.events;
  result.pipeline.warehouseOrderLines = warehouse.orderLines;
  result.wallSeconds = (Date.now() - wallStart) / 1000;
  return result;

  async function drive(): Promise<SimulationResult> {
    const documents = createFirestorePreferenceDocumentReader(firestore);
    // A reader per simulated day: the reorder model the night's patterns job fitted is read fresh, as a simulated day
    // outlasts no cache but the sim's days pass in minutes.
    const newReader = () =>
      createFirestoreSearchPreferenceReader(firestore, { hashUser: createUserHasher(LOCAL.userHashKey), budgetMs: 5_000, ttlMs: 600_000 });
    let reader = newReader();
    // The ranking weights' loop runs unless the command line set the weights by hand (a weights version would
    // override them); the versions are read fresh after each night's fit, as the preferences are.
    const weightsLoop = options.ranking?.weights === undefined && options.ranking?.priorWeight === undefined;
    const weightsStore = createFirestoreWeightsStore(firestore);
    const newWeights = () => (weightsLoop ? createRankingWeightsReader(weightsStore, { budgetMs: 5_000 }) : undefined);
    let weights = newWeights();
    const promotions: SimulationResult['pipeline']['promotions'] = [];
    // The control arm's randomized swaps, from the run's seed (the order trips draw them in is the pool's).
    const swaps = controlSwaps(options.seed);
    const models = createFirestoreReorderModelReader(firestore);
    const tokens = new Map<string, string>();
    for (const s of shoppers) {
      tokens.set(
        s.userId,
        await mintShopperToken(s.userId, {
          key: LOCAL.tokenKey,
          issuer: LOCAL.tokenIssuer,
          audience: LOCAL.tokenAudience,
          ttlSec: 24 * 3600,
        }),
      );
    }
    const sent = { requests: 0, events: 0, accepted: 0, rejected: 0, byType: {} as Record<string, number> };
    const jobs: JobRun[] = [];
    const warehouseCtr: SimulationResult['pipeline']['warehouseCtr'] = [];
    const warehouseMrr: SimulationResult['pipeline']['warehouseMrr'] = [];
    const drainMs: number[] = [];
    let sendingMs = 0;
    const firstSend = Date.now();
    const rejections: string[] = [];

    async function send(userId: string, events: ClientEvent[]): Promise<void> {
      const sentAt = new Date().toISOString();
      const body = JSON.stringify({ events: events.map((e) => ({ ...e, sent_at: sentAt })) });
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`http://127.0.0.1:${stack.ports.collect}/v1/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${tokens.get(userId)}`, 'Content-Type': 'application/json' },
          body,
        });
        // 503: Pub/Sub did not take it; the same event ids make a retry safe.
        if (response.status === 503 && attempt < 5) {
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        const answer = (await response.json()) as { accepted?: number; rejected?: { reason: string }[] };
        sent.requests++;
        sent.events += events.length;
        sent.accepted += answer.accepted ?? 0;
        sent.rejected += answer.rejected?.length ?? 0;
        for (const r of answer.rejected ?? []) if (rejections.length < 5) rejections.push(r.reason);
        for (const e of events) sent.byType[e.type] = (sent.byType[e.type] ?? 0) + 1;
        return;
      }
    }

    const imported = historyDays > 0 ? await importHistory() : null;
    // What seeding learned: the live days are counted on top of it.
    const seededLearned = imported ? await learnedCount() : 0;
    const ports: TripPorts = {
      believed: async (userId) => {
        const document = await documents.read(userId);
        reader.forget(userId);
        return document;
      },
      reorderModel: () => models.read(),
      personalizer: (clock) =>
        createSearchPersonalizer({
          reader,
          clock,
          ...(weights ? { weights, signalsInControl: true, random: swaps.next } : {}),
          ...(options.ranking ? { ranking: options.ranking } : {}),
        }),
      send,
    };

    /** The history's orders, as CSV order lines, through `npm run import`'s own code into the stack's history function. */
    async function importHistory(): Promise<ImportedHistory> {
      const started = Date.now();
      const csv = orderLinesCsv(history);
      const file = join(mkdtempSync(join(tmpdir(), 'sim-history-')), 'orders.csv');
      writeFileSync(file, csv);
      progress(`importing ${history.length} orders of ${historyDays} days of history`, 0);
      const result = await runImportCommand(parseImportArgs(['orders', file, '--json'], '/'), {
        fetchFn: fetch,
        env: { HISTORY_PORT: String(stack.ports.history) },
        identity: async () => ({}),
        progress: (line) => progress(`import: ${line}`, 0),
      });
      if (!result.ok) throw new Error(`the history import failed: ${result.output.slice(0, 1000)}\n${stack.errors.slice(-3).join('\n')}`);
      const report = JSON.parse(result.output) as ImportReport;
      log?.info('history imported', {
        orders: history.length,
        imported: report.imported,
        seeded: report.progress.shoppers_seeded,
        ms: report.ms,
      });
      return {
        days: historyDays,
        orders: history.length,
        lines: csv.split('\n').length - 2,
        report,
        wallSeconds: (Date.now() - started) / 1000,
      };
    }

    async function learnedCount(): Promise<number> {
      let total = 0;
      const refs = shoppers.map((s) => shopperRefs(firestore, s.userId).preferences);
      for (let i = 0; i < refs.length; i += 500) {
        const snapshots = await firestore.getAll(...refs.slice(i, i + 500));
        for (const s of snapshots) total += Number(s.get('event_count') ?? 0);
      }
      return total;
    }

    async function runJob(job: JobRun['job'], day: number, body: Record<string, string>): Promise<Record<string, unknown>> {
      const started = Date.now();
      const port = stack.ports[job];
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const summary = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      jobs.push({
        job,
        day,
        status: response.status,
        ms: Date.now() - started,
        summary: job === 'metrics' ? { rows: summary.rows } : summary,
      });
      if (response.status !== 200) {
        throw new Error(
          `the ${job} job answered ${response.status}: ${JSON.stringify(summary).slice(0, 500)}\n${stack.errors.slice(-3).join('\n')}`,
        );
      }
      return summary;
    }

    // Every shopper with events is recomputed each day: all of them were received after the simulated start.
    const runSince = new Date(dayStart(0)).toISOString();
    for (let day = 0; day < options.days; day++) {
      const sendStart = Date.now();
      let done = 0;
      await pool(
        shoppers.map((s, i) => [s, i] as const),
        options.concurrency ?? 16,
        async ([truth, index]) => {
          await shopTrip(world, ports, ledger, index, truth, day);
          done++;
          if (done % 25 === 0 || done === shoppers.length)
            progress(
              `day ${day + 1}/${options.days} ${dates[day]}: shoppers ${done}/${shoppers.length}, events ${sent.accepted}`,
              (day + (0.8 * done) / shoppers.length) / options.days,
            );
        },
      );
      sendingMs += Date.now() - sendStart;
      if (rejections.length) throw new Error(`collect rejected events: ${rejections.join('; ')}`);
      const drainStart = Date.now();
      const deadline = drainStart + (options.drainTimeoutMs ?? 180_000);
      let learned = (await learnedCount()) - seededLearned;
      while (learned < sent.accepted) {
        if (Date.now() > deadline)
          throw new Error(`day ${day + 1}: ${learned} of ${sent.accepted} events learned after ${options.drainTimeoutMs ?? 180_000} ms`);
        progress(`day ${day + 1}/${options.days} ${dates[day]}: learned ${learned}/${sent.accepted}`, (day + 0.8) / options.days);
        await new Promise((r) => setTimeout(r, 250));
        learned = (await learnedCount()) - seededLearned;
      }
      drainMs.push(Date.now() - drainStart);
      const dayEnd = new Date(dayStart(day) + DAY_MS).toISOString();
      progress(
        `day ${day + 1}/${options.days} ${dates[day]}: patterns, metrics and weights jobs as of ${dayEnd}`,
        (day + 0.9) / options.days,
      );
      await runJob('patterns', day, { as_of: dayEnd, since: runSince });
      reader = newReader();
      const metrics = await runJob('metrics', day, { as_of: dayEnd, since: new Date(dayStart(day)).toISOString() });
      for (const row of (metrics.metrics ?? []) as MetricRow[]) {
        if (row.experiment !== 'personalization' || row.dimension !== '') continue;
        const counted = { day, arm: row.arm, numerator: row.numerator, denominator: row.denominator };
        if (row.metric === 'ctr') warehouseCtr.push(counted);
        if (row.metric === 'mrr') warehouseMrr.push(counted);
      }
      if (weightsLoop) {
        // As scheduled, after metrics: the fit reads the control arm's clicks up to as_of (its own window, four weeks).
        await runJob('weights', day, { as_of: dayEnd });
        if (options.promote ?? true) await operate(day, dayEnd);
        weights = newWeights();
      }
      log?.info('simulated day done', {
        day: day + 1,
        date: dates[day],
        accepted: sent.accepted,
        searches: ledger.searchCount,
        drain_ms: drainMs.at(-1),
      });
    }
    /**
     * The operator docs/weights.md describes, in the morning after a night: reads the running trial's readout over its
     * days so far (one metrics run from the trial's start) and promotes the challenger once its MRR gain's 95% interval
     * is above 0, with the code of `npm run weights -- promote`. A challenger fitted tonight has no searches yet.
     */
    async function operate(day: number, dayEnd: string): Promise<void> {
      const rollout = await weightsStore.rollout();
      const trial = rollout.challenger === null ? null : await weightsStore.read(rollout.challenger);
      if (trial === null) return;
      const since = trialStart(trial);
      if (since >= Date.parse(dayEnd)) return;
      const readout = await runJob('metrics', day, { as_of: dayEnd, since: new Date(since).toISOString() });
      const gain = ((readout.metrics ?? []) as MetricRow[]).find(
        (row) => row.metric === 'challenger_mrr_gain' && row.experiment === weightsExperimentId(trial.version),
      );
      if (gain?.ci_low === null || gain?.ci_low === undefined || !(gain.ci_low > 0)) return;
      const promoted = await runWeightsCommand({ action: 'promote', version: trial.version }, weightsStore, new Date(dayEnd));
      if (!promoted.ok) throw new Error(`the promotion of ${trial.version} failed: ${promoted.output}`);
      log?.info('challenger promoted', { day: day + 1, version: trial.version, mrr_gain: gain.value, ci_low: gain.ci_low });
      promotions.push({
        day,
        version: trial.version,
        gain: gain.value,
        ci_low: gain.ci_low,
        ci_high: gain.ci_high,
        searches: gain.denominator,
      });
    }

    const drained = Date.now();
    // The trials' readout over the days the report judges (score.ts: after the first week), as an operator reads it
    // before promoting: one metrics run over that window.
    const fromDay = judgedFromDay(options.days);
    const readout = await runJob('metrics', options.days - 1, {
      as_of: new Date(dayStart(options.days - 1) + DAY_MS).toISOString(),
      since: new Date(dayStart(fromDay)).toISOString(),
    });
    const challengerReadout = ((readout.metrics ?? []) as MetricRow[]).filter((row) => row.metric.startsWith('challenger_'));
    const lags = stack.ingested.map((m) => m.lag_ms);
    return {
      options: { shoppers: options.shoppers, days: options.days, seed: options.seed, historyDays },
      history: imported ?? { days: 0, orders: 0, lines: 0, report: null, wallSeconds: 0 },
      startedAt: new Date(wallStart).toISOString(),
      calendar: { from: dates[0] ?? '', to: dates.at(-1) ?? '', dates },
      catalog: { products: catalog.products.length, categories: catalog.categories.length, brands: categoryOfBrand.size },
      sent: { ...sent, orderLines: ledger.orderLines, searches: ledger.searchCount, personalizedReasons: ledger.personalizedReasons },
      pipeline: {
        learnedInFirestore: (await learnedCount()) - seededLearned,
        warehouseEvents: 0,
        warehouseOrderLines: 0,
        ingestedMessages: stack.ingested.length,
        ingestLagMs: { p50: percentile(lags, 0.5), p95: percentile(lags, 0.95), max: Math.max(0, ...lags) },
        drainMs,
        collectEventsPerSecond: sent.accepted / (sendingMs / 1000),
        endToEndEventsPerSecond: sent.accepted / ((drained - firstSend) / 1000),
        jobs,
        warehouseCtr,
        warehouseMrr,
        challengerReadout,
        promotions,
      },
      score: score(dates, ledger.searches, ledger.reorders, ledger.brands),
      wallSeconds: 0,
    };
  }
}

/** The warehouse's own count, read once the stack has stopped and released the DuckDB file. */
async function countWarehouse(file: string): Promise<{ events: number; orderLines: number }> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const events = (
      await connection.runAndReadAll('SELECT COUNT(*) AS n FROM (SELECT DISTINCT user_id, event_id FROM events)')
    ).getRowObjectsJS()[0]?.n;
    const lines = (
      await connection.runAndReadAll('SELECT COUNT(*) AS n FROM (SELECT DISTINCT user_id, event_id, line FROM order_items)')
    ).getRowObjectsJS()[0]?.n;
    return { events: Number(events ?? 0), orderLines: Number(lines ?? 0) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
