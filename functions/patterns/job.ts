import { z } from 'zod';
import { runJob } from '../jobs/lifecycle.ts';
import { fitReorderModel, type ReorderModel, type ReorderOutcome } from '../kernel/reorder-model.ts';
import type { Logger } from '../logging/logger.ts';
import type { ErasureStore, PrivacyStore } from '../privacy/ports.ts';
import type { StoredPrivacy } from '../privacy/settings.ts';
import type { SqlParams, SqlRow, SqlWarehouse } from '../warehouse/ports.ts';
import { ANALYSES, parseRow, patternParams, PatternsBuilder, serializePatterns, type Patterns } from './patterns.ts';
import type { PatternPublisher, ReorderModelPublisher } from './ports.ts';

export const JOB = 'patterns';
/** The since of the very first run: every shopper. */
export const BEGINNING = new Date(0);
/** Shoppers per `forget_user_patterns.sql` statement: keeps the @user_ids parameter well under BigQuery's request size. */
export const FORGET_BATCH = 10_000;
/**
 * Shoppers per slice by default. A slice of 10,000 ran in a JS heap of 450 MB and not in one of 300 MB
 * (test/bench/RESULTS.md), so 20,000 need under 1 GB: inside the deployed function's 2 GiB, whose heap
 * limit infra/patterns-job.ts sets to three quarters of it.
 */
export const SLICE_SHOPPERS = 20_000;
/**
 * What a run stages once, before its slices, table and statement: every computed shopper's order lines and
 * cart adds and result clicks of the window, once each. order_items and events are scanned here alone, so the
 * bytes a night reads grow with its shoppers, not with its shoppers times its slices.
 */
export const RUN_STAGING = [
  ['run_order_lines_staging', 'stage_run_order_lines'],
  ['run_engagement_staging', 'stage_run_engagement'],
] as const;
/**
 * What each slice stages before its analyses, table and statement: its own shoppers' rows of `RUN_STAGING`,
 * read by their range of ids. The analyses read these.
 */
export const SLICE_STAGING = [
  ['order_lines_staging', 'stage_order_lines'],
  ['engagement_staging', 'stage_engagement'],
] as const;

export type PatternsJobDeps = {
  warehouse: SqlWarehouse;
  publisher: PatternPublisher;
  /** Where the reorder model the run fits is published for search. */
  reorderModels: ReorderModelPublisher;
  /** The active shoppers' privacy flags, staged for the pattern SQL, which leaves out what a shopper turned off. */
  privacy: Pick<PrivacyStore, 'readMany'>;
  /** Shoppers whose erasure is pending are skipped: the erasure job is deleting their data, and publishing would resurrect it. */
  erasures: Pick<ErasureStore, 'pending'>;
  clock: () => Date;
  logger: Logger;
  /**
   * How long after collect receives an event it is surely in the warehouse. The next run starts
   * this far before this run's start, so an event written late is still seen.
   */
  settleMs: number;
  /**
   * Shoppers computed together: the job stages, analyses, publishes and merges one slice at a time, so
   * its memory is bounded by a slice, whatever the run's size. The window is scanned once per run
   * (`RUN_STAGING`, and the categories' price ranges); a slice reads only its own shoppers' staged rows,
   * so the bytes a run reads do not grow with its number of slices. Default: `SLICE_SHOPPERS`.
   */
  sliceShoppers?: number;
  newRunId?: () => string;
};

export type PatternsRequest = {
  /** Events before this count. Default: now. Set it to backfill or to replay a run. */
  asOf?: Date;
  /** Recompute shoppers with events received at or after this. Default: the last successful run's watermark. */
  since?: Date;
};

export type PatternsRun = {
  run_id: string;
  as_of: string;
  since: string;
  watermark: string;
  /** Shoppers with new activity whose patterns were recomputed: learn_preferences on, no erasure pending. */
  shoppers: number;
  /** Shoppers with new activity skipped because their erasure is pending. */
  erasing: number;
  /** Shoppers with new activity and learn_preferences off: nothing published, their stored patterns removed. */
  forgotten: number;
  /** Those whose patterns changed, and so were published. */
  changed: number;
  /** The reorder model the run fitted and published; null when its examples were too few (the last one stays in force). */
  reorder_model: Pick<ReorderModel, 'version' | 'examples' | 'bought' | 'threshold' | 'expected'> | null;
  result_rows: number;
  bytes_processed: number | null;
  ms: number;
};

/**
 * The patterns job: the shoppers with new activity first, then the categories' price ranges (staged
 * once per run in `category_price_ranges_staging`, which `price_sensitivity.sql` joins) and every one of
 * those shoppers' order lines and engagement of the window (`RUN_STAGING`, once per run), then, slice
 * by slice of the shoppers (`sliceShoppers`), their privacy flags (staged in `shopper_privacy_staging`,
 * which every analysis joins) and their own rows of the run's staging (`SLICE_STAGING`, which the analyses
 * read instead of order_items and events), every analysis of `sql/` for the whole slice at once (one query per
 * analysis, never one per shopper), and for those whose patterns changed Firestore first and
 * `user_patterns` second; the run's record (the next watermark) last. A run that fails anywhere
 * leaves the watermark where it was, so the next run redoes its shoppers (the slices already merged
 * are then unchanged and not published again); publishing before merging means a shopper published
 * but not merged is seen as changed again and republished, never skipped.
 *
 * Shoppers whose erasure is pending are left out of every slice (not staged in one, published or merged);
 * the run's staging, which selects the active shoppers in SQL, may hold their rows until the run empties
 * it, and the erasure job deletes them from it too. Shoppers with learn_preferences off get nothing
 * published (the privacy store deleted their document when the flag turned off, and publishing would
 * recreate it); their `user_patterns` row is deleted instead.
 */
export async function runPatternsJob(deps: PatternsJobDeps, request: PatternsRequest = {}): Promise<PatternsRun> {
  return runJob(deps, JOB, async ({ runId, started, log }) => {
    const { warehouse } = deps;
    const asOf = request.asOf ?? started;
    const since = request.since ?? (await lastWatermark(warehouse)) ?? BEGINNING;
    // Never past this run's own start (or as_of), and never back before where this run began.
    const watermark = new Date(Math.max(since.getTime(), Math.min(asOf.getTime(), started.getTime()) - deps.settleMs));
    // staged_at partitions the run's staging by the day it ran, whatever as_of is: what a failed run left
    // behind is dropped a day later (run_order_lines_staging.sql).
    const params: SqlParams = { ...patternParams(asOf, since), staged_at: started };
    const totals = { rows: 0, bytes: null as number | null };
    const counts = { shoppers: 0, forgotten: 0, forgottenRows: 0, changed: 0, merged: 0 };
    // The reorder model's sufficient statistics, summed over the slices: one fit from every slice's examples.
    const outcomes = new Map<string, ReorderOutcome>();
    /** A query's or staging statement's bytes added to the run's, and its `query … done` log line. */
    const account = (file: string, rows: number, result: { bytesProcessed: number | null; ms: number }) => {
      if (result.bytesProcessed !== null) totals.bytes = (totals.bytes ?? 0) + result.bytesProcessed;
      log.info(`query ${file} done`, { query: file, rows, bytes_processed: result.bytesProcessed, ms: Math.round(result.ms) });
    };
    const run = async (file: string): Promise<SqlRow[]> => {
      const result = await warehouse.query(`${file}.sql`, params, JOB);
      totals.rows += result.rows.length;
      account(file, result.rows.length, result);
      return result.rows;
    };
    /**
     * Empties a staging table, then fills it with its statement when there is anyone to stage: so that
     * no row of an earlier slice or run is read as this one's. The statement is logged like a query,
     * with the rows it wrote (not result rows). `more` adds a slice's own parameters.
     */
    const restage: Restage = async (table, file, anyone, more = {}) => {
      await warehouse.replaceRows(table, [], JOB);
      if (!anyone) return;
      const result = await warehouse.execute(`${file}.sql`, { ...params, ...more }, JOB);
      account(file, result.affectedRows, result);
    };

    const work = async (): Promise<PatternsRun> => {
      const active = (await run('active_shoppers')).map((row) => String(row.user_id));
      // Nobody active: nobody to ask about.
      const pending = active.length === 0 ? [] : await deps.erasures.pending();
      const beingErased = new Set(pending.map((request) => request.user_id));
      // In the warehouse's order, as active_shoppers.sql sorts them: each slice is then a range of ids in that
      // order, by which its staging reads only its own shoppers' rows. A sort here could disagree with it.
      const kept = active.filter((userId) => !beingErased.has(userId));
      const erasing = active.length - kept.length;
      const size = deps.sliceShoppers ?? SLICE_SHOPPERS;
      if (!Number.isInteger(size) || size < 1) throw new Error(`sliceShoppers must be a positive integer, not ${size}`);
      const slices = Math.max(1, Math.ceil(kept.length / size));
      log.info('shoppers found', { active: active.length, erasing, slices });
      // Every category's price range of the 180 days before as_of, once per run, before its slices: the
      // ranges are over every shopper's order lines, so computing them in price_sensitivity.sql would scan
      // the whole window again in every slice (which reads only the ranges of its own @as_of all the same).
      // A run with nobody to compute leaves the table empty, since no slice would read it.
      await restage('category_price_ranges_staging', 'stage_category_price_ranges', kept.length > 0);
      // Every active shopper's order lines and engagement, once per run: the window is scanned here, not in
      // every slice. Nobody to compute leaves them empty.
      for (const [table, file] of RUN_STAGING) await restage(table, file, kept.length > 0);

      // Always one slice, even empty: the staging tables are then emptied of any earlier run's rows.
      for (let slice = 0; slice < slices; slice += 1) {
        const done = await runSlice(deps, kept.slice(slice * size, (slice + 1) * size), asOf, run, restage, log, outcomes);
        counts.shoppers += done.shoppers;
        counts.forgotten += done.forgotten;
        counts.forgottenRows += done.forgottenRows;
        counts.changed += done.changed;
        counts.merged += done.merged;
        if (slices > 1) log.info('slice done', { slice: slice + 1, slices, ...done });
      }
      if (counts.forgotten > 0) log.info('patterns forgotten', { shoppers: counts.forgotten, rows: counts.forgottenRows });
      // The run's and the last slice's lines and engagement are shoppers' data the run no longer needs.
      for (const [table] of [...RUN_STAGING, ...SLICE_STAGING]) await warehouse.replaceRows(table, [], JOB);
      const model = await fitAndPublish(deps, [...outcomes.values()], { version: runId, asOf, fittedAt: deps.clock() }, log);

      return {
        run_id: runId,
        as_of: asOf.toISOString(),
        since: since.toISOString(),
        watermark: watermark.toISOString(),
        shoppers: counts.shoppers,
        erasing,
        forgotten: counts.forgotten,
        changed: counts.changed,
        reorder_model: model && {
          version: model.version,
          examples: model.examples,
          bought: model.bought,
          threshold: model.threshold,
          expected: model.expected,
        },
        result_rows: totals.rows,
        bytes_processed: totals.bytes,
        ms: Math.round(deps.clock().getTime() - started.getTime()),
      };
    };

    log.info('job started', { as_of: asOf.toISOString(), since: since.toISOString() });
    return {
      work,
      // A failed run leaves the watermark where it was, and counts no shopper as done.
      figures: (summary) => ({
        asOf,
        since,
        watermark: summary ? watermark : since,
        shoppers: summary?.shoppers ?? 0,
        changed: summary?.changed ?? 0,
        resultRows: totals.rows,
        bytesProcessed: totals.bytes,
      }),
      succeeded: (summary) => ({ message: 'job succeeded', fields: { ...summary, merged_rows: counts.merged } }),
    };
  });
}

type StagedFlags = {
  user_id: string;
  learn_preferences: boolean;
  learn_brands: boolean;
  learn_price: boolean;
  learn_schedule: boolean;
  learn_dietary: boolean;
};

type SliceDone = { shoppers: number; forgotten: number; forgottenRows: number; changed: number; merged: number };
type Restage = (table: string, file: string, anyone: boolean, more?: SqlParams) => Promise<void>;

/**
 * One slice of the run's shoppers (a range of them in the warehouse's order), start to end: their privacy
 * flags staged in `shopper_privacy_staging` (which every analysis joins), their order lines and engagement
 * copied out of the run's (`SLICE_STAGING`), every analysis once for all of them, the patterns staged, then for those whose
 * patterns changed Firestore first and `user_patterns` second. Only this slice's rows and patterns are held.
 */
async function runSlice(
  deps: PatternsJobDeps,
  shoppers: readonly string[],
  asOf: Date,
  run: (file: string) => Promise<SqlRow[]>,
  restage: Restage,
  log: Logger,
  outcomes: Map<string, ReorderOutcome>,
): Promise<SliceDone> {
  const { warehouse } = deps;
  const flags = await stagePrivacy(deps, shoppers);
  const forgetting = flags.filter((f) => !f.learn_preferences).map((f) => f.user_id);
  log.info('privacy flags staged', { staged: flags.length, not_learning: forgetting.length });
  // Staged only when someone of the slice learns (the statements stage nobody else). The range lets the
  // statements read the slice's own shoppers' rows of the run's staging, not all of them.
  const range = { first_shopper: shoppers.at(0) ?? '', last_shopper: shoppers.at(-1) ?? '' };
  for (const [table, file] of SLICE_STAGING) await restage(table, file, forgetting.length < flags.length, range);

  const builders = new Map<string, PatternsBuilder>();
  for (const f of flags) if (f.learn_preferences) builders.set(f.user_id, new PatternsBuilder());
  // The analyses are independent: BigQuery runs them side by side, and DuckDB computes the next while
  // the rows of the last are read. Each result is parsed as it comes, so its raw rows can go at once.
  const [storedRows] = await Promise.all([
    run('stored_fingerprints'),
    run('reorder_outcomes').then((rows) => {
      for (const row of rows) addOutcome(outcomes, parseOutcome(row));
    }),
    ...ANALYSES.map(async (analysis) => {
      for (const row of await run(analysis)) {
        const parsed = parseRow(analysis, row);
        // The analyses answer only staged shoppers who learn; the map is the guard all the same.
        builders.get(parsed.user_id)?.add(analysis, parsed);
      }
    }),
  ]);
  const stored = new Map(storedRows.map((row) => [String(row.user_id), String(row.fingerprint)]));

  // Only what changed is kept, staged, published and merged: on a usual night most shoppers' patterns
  // are what they were, and their JSON need not travel.
  const computedAt = deps.clock().toISOString();
  const changed: { userId: string; patterns: Patterns }[] = [];
  const staged: SqlRow[] = [];
  for (const [userId, builder] of builders) {
    const patterns = builder.build(asOf);
    const { json, fingerprint: print } = serializePatterns(patterns);
    if (stored.get(userId) === print) continue;
    changed.push({ userId, patterns });
    staged.push({ user_id: userId, as_of: asOf.toISOString(), computed_at: computedAt, fingerprint: print, patterns: json });
  }
  const computed = builders.size;
  builders.clear();
  await warehouse.replaceRows('user_patterns_staging', staged, JOB);
  log.info('patterns computed', { shoppers: computed, changed: changed.length });

  const { written } = await deps.publisher.publish(changed);
  log.info('patterns published', { written });
  const merged = await warehouse.execute('merge_user_patterns.sql', {}, JOB);
  let forgottenRows = 0;
  for (let start = 0; start < forgetting.length; start += FORGET_BATCH) {
    const userIds = forgetting.slice(start, start + FORGET_BATCH);
    forgottenRows += (await warehouse.execute('forget_user_patterns.sql', { user_ids: userIds }, JOB)).affectedRows;
  }
  return { shoppers: computed, forgotten: forgetting.length, forgottenRows, changed: changed.length, merged: merged.affectedRows };
}

/**
 * Loads `shopper_privacy_staging` with one row per shopper of the slice (none of them being erased).
 * Always loaded, even empty, so that no row of an earlier slice or run is read as this one's.
 */
async function stagePrivacy(deps: PatternsJobDeps, shoppers: readonly string[]): Promise<StagedFlags[]> {
  const settings = shoppers.length === 0 ? new Map<string, StoredPrivacy>() : await deps.privacy.readMany(shoppers);
  const staged = shoppers.map((userId): StagedFlags => {
    const s = settings.get(userId);
    // The port answers the defaults for a shopper who set nothing: a missing entry is a broken store, not a default.
    if (!s) throw new Error('the privacy store answered no settings for an active shopper');
    return {
      user_id: userId,
      learn_preferences: s.learn_preferences,
      learn_brands: s.learn_brands,
      learn_price: s.learn_price,
      learn_schedule: s.learn_schedule,
      learn_dietary: s.learn_dietary,
    };
  });
  await deps.warehouse.replaceRows('shopper_privacy_staging', staged, JOB);
  return staged;
}

const count = z.number().int().nonnegative();
const OutcomeRow = z.object({ cycle_bin: count, orders_bin: count, interval_bin: count, examples: count, bought: count });
function parseOutcome(row: SqlRow): ReorderOutcome {
  const parsed = OutcomeRow.safeParse(row);
  if (!parsed.success)
    throw new Error(`sql/reorder_outcomes.sql answered an unexpected row: ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
  return parsed.data;
}

function addOutcome(outcomes: Map<string, ReorderOutcome>, o: ReorderOutcome): void {
  const key = `${o.cycle_bin}/${o.orders_bin}/${o.interval_bin}`;
  const seen = outcomes.get(key);
  outcomes.set(key, seen ? { ...seen, examples: seen.examples + o.examples, bought: seen.bought + o.bought } : o);
}

/**
 * Fits the reorder model from the run's outcomes and, when there were enough, publishes it for search first and keeps
 * it in `reorder_model` second (staged, then inserted): a run that fails between the two publishes the same model
 * again when retried, and the metric never judges by a model search has not read.
 */
async function fitAndPublish(
  deps: PatternsJobDeps,
  outcomes: ReorderOutcome[],
  meta: { version: string; asOf: Date; fittedAt: Date },
  log: Logger,
): Promise<ReorderModel | null> {
  const model = fitReorderModel(outcomes, meta);
  const examples = outcomes.reduce((t, o) => t + o.examples, 0);
  const bought = outcomes.reduce((t, o) => t + o.bought, 0);
  if (model === null) {
    log.info('reorder model not fitted: too few purchases', { examples, bought });
    return null;
  }
  await deps.reorderModels.publish(model);
  const { cells, expected: _expected, examples: _examples, bought: _bought, ...version } = model;
  await deps.warehouse.replaceRows(
    'reorder_model_staging',
    cells.map((cell) => ({ ...version, ...cell })),
    JOB,
  );
  await deps.warehouse.execute('insert_reorder_model.sql', {}, JOB);
  await deps.warehouse.replaceRows('reorder_model_staging', [], JOB);
  log.info('reorder model published', { version: model.version, examples, bought, threshold: model.threshold, ...model.expected });
  return model;
}

async function lastWatermark(warehouse: SqlWarehouse): Promise<Date | null> {
  const { rows } = await warehouse.query('last_watermark.sql', { job: JOB }, JOB);
  const value = rows[0]?.watermark;
  return typeof value === 'string' ? new Date(value) : null;
}
