import { createHash } from 'node:crypto';
import type { CollectedEvent } from '../events/schema.ts';
import { DAY_MS } from '../learn/decay.ts';
import type { Logger } from '../logging/logger.ts';
import { TRACKED_BY } from '../privacy/settings.ts';
import type { RejectedRow, SqlRow, SqlWarehouse } from '../warehouse/ports.ts';
import { eventRow, orderItemRows, truncatePayload } from '../warehouse/rows.ts';
import type { HistoryScope } from './history-event.ts';
import { readInstacart } from './instacart.ts';
import { readNdjsonEvents } from './ndjson-events.ts';
import { readOrderLines } from './order-lines.ts';
import {
  UnreadableHistory,
  type HistoryFiles,
  type HistoryReader,
  type HistorySeeder,
  type ImportLedger,
  type ImportStaging,
  type PatternsRunner,
  type ShopperGate,
  type ShopperStanding,
} from './ports.ts';
import { storedEvent } from './stored-event.ts';

export const IMPORT_FORMATS = ['csv', 'ndjson', 'instacart'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The `source` of an import's rejected rows in `rejected_events`. */
export const IMPORT_SOURCE = 'import';

/** Rows of the file staged together: what the import holds in memory at once. */
export const SLICE_ROWS = 20_000;
/** Shoppers seeded together: their events are read in one query. */
export const SEED_SLICE_SHOPPERS = 2_000;
/** Shoppers whose settings are remembered while the file is read; a shopper met again later is asked again. */
export const KNOWN_SHOPPERS = 100_000;
/** Rejected rows the report lists, first lines first; the rest are in rejected_events. */
export const REPORTED_REJECTIONS = 100;
/**
 * How long an interrupted import can be resumed: seeding marks each shopper it seeded for this long, and a run
 * that began seeding longer ago refuses to go on, since it could not tell who it seeded.
 */
export const RESUME_WINDOW_DAYS = 30;

export type ImportRequest = { format: ImportFormat; source: string; anchor?: Date };

/** What the import has done so far: its progress, as the status route shows it. */
export type ImportProgress = {
  lines_read: number;
  /** Events staged for the warehouse (before the merge takes out what it holds already). */
  events_staged: number;
  rejected_rows: number;
  /** Rows left out by their shopper's standing; `erased` counts an erased shopper's bad rows too. */
  events_skipped: { not_tracked: number; past_retention: number; erased: number };
  /** Shoppers left out (tracking off for what they did, or ever erased), each counted once. */
  shoppers_skipped: { tracking_off: number; erased: number };
  /** What the layout left out on purpose, by why (not bad input). */
  left_out: Record<string, number>;
  shoppers_seeded: number;
  events_learned: number;
  seeding_writes: number;
};

export type ImportPhase = 'loading' | 'seeding' | 'patterns' | 'done';

/** The warehouse's own count of what the import holds, once it is merged. */
export type ImportCounts = {
  events: number;
  order_lines: number;
  shoppers: number;
  earliest: string | null;
  latest: string | null;
  rejected: number;
};

export type ImportReport = {
  import_id: string;
  format: ImportFormat;
  source: string;
  fingerprint: string;
  anchor: string | null;
  progress: ImportProgress;
  /** What this import holds in the warehouse; `already_present` are staged events the warehouse held before. */
  imported: ImportCounts & { already_present: number };
  /** The first rejected rows, with the file line and why. */
  rejections: { line: number; reason: string }[];
  patterns: Record<string, unknown> | null;
  ms: { load: number; seed: number; patterns: number };
};

/** An import as its ledger keeps it: what it is, how far it got, and its report once done. */
export type ImportRecord = {
  import_id: string;
  format: ImportFormat;
  source: string;
  fingerprint: string;
  anchor: string | null;
  state: 'running' | 'succeeded' | 'failed';
  phase: ImportPhase;
  started_at: string;
  updated_at: string;
  seeding_started_at: string | null;
  progress: ImportProgress;
  counts: ImportCounts | null;
  already_present: number;
  ms: { load: number; seed: number; patterns: number };
  patterns: Record<string, unknown> | null;
  error: string | null;
  report: ImportReport | null;
};

export type ImportDeps = {
  files: HistoryFiles;
  gate: ShopperGate;
  staging: ImportStaging;
  warehouse: Pick<SqlWarehouse, 'query' | 'execute'>;
  seeder: HistorySeeder;
  patterns: PatternsRunner;
  ledger: ImportLedger<ImportRecord>;
  clock: () => Date;
  logger: Logger;
  /** Collect's tolerance for a time ahead of the clock (`MAX_FUTURE_SKEW_SECONDS`). */
  maxFutureSkewMs: number;
  sliceRows?: number;
  seedSliceShoppers?: number;
  /** Called as the import goes on, at most every `progressEveryMs`, and at every phase. */
  onProgress?: (record: ImportRecord) => void;
  progressEveryMs?: number;
};

/** The import's id: the format, the file and its fingerprint, and the anchor. The same file imported again is the same import. */
export function importIdOf(request: ImportRequest, fingerprint: string): string {
  const what = JSON.stringify([request.format, request.source, fingerprint, request.anchor?.toISOString() ?? null]);
  return `imp-${createHash('sha256').update(what).digest('hex').slice(0, 24)}`;
}

export function emptyProgress(): ImportProgress {
  return {
    lines_read: 0,
    events_staged: 0,
    rejected_rows: 0,
    events_skipped: { not_tracked: 0, past_retention: 0, erased: 0 },
    shoppers_skipped: { tracking_off: 0, erased: 0 },
    left_out: {},
    shoppers_seeded: 0,
    events_learned: 0,
    seeding_writes: 0,
  };
}

/** Where a planned import stands: its ledger record (made now when it is new), and whether this run resumes it. */
export async function planImport(
  deps: Pick<ImportDeps, 'files' | 'ledger' | 'clock'>,
  request: ImportRequest,
): Promise<{ record: ImportRecord; resumed: boolean }> {
  const fingerprint = await fingerprintOf(deps.files, request);
  const importId = importIdOf(request, fingerprint);
  const stored = await deps.ledger.get(importId);
  if (stored) return { record: stored, resumed: true };
  const now = deps.clock().toISOString();
  const record: ImportRecord = {
    import_id: importId,
    format: request.format,
    source: request.source,
    fingerprint,
    anchor: request.anchor?.toISOString() ?? null,
    state: 'running',
    phase: 'loading',
    started_at: now,
    updated_at: now,
    seeding_started_at: null,
    progress: emptyProgress(),
    counts: null,
    already_present: 0,
    ms: { load: 0, seed: 0, patterns: 0 },
    patterns: null,
    error: null,
    report: null,
  };
  await deps.ledger.put(importId, record);
  return { record, resumed: false };
}

async function fingerprintOf(files: HistoryFiles, request: ImportRequest): Promise<string> {
  if (request.format !== 'instacart') return files.fingerprint(request.source);
  const parts: string[] = [];
  for (const name of ['aisles.csv', 'products.csv', 'orders.csv', 'order_products__prior.csv'])
    parts.push(await files.fingerprint(files.within(request.source, name)));
  return parts.join(' ');
}

/**
 * A history import, start to end, or on from where an earlier run of the same import stopped:
 * 1. load — read the file as it streams, slice by slice: check each row by the contract, leave out shoppers whose
 *    settings or erasure say so and events past their retention, stage the rest (and the rejected rows), then merge
 *    the staging into events, order_items and rejected_events in one go (what the warehouse holds is not added again);
 * 2. seed — the imported shoppers slice by slice: each one's imported events learned into their preference document
 *    as real-time learning would have, once (the seeder's markers);
 * 3. patterns — the patterns job over the imported range, so the batch patterns know the history too.
 * The ledger records each phase as it ends, so that running the same import again resumes after it.
 */
export async function runImport(deps: ImportDeps, record: ImportRecord): Promise<ImportReport> {
  const log = deps.logger.child({ import_id: record.import_id });
  const state = { ...record, state: 'running' as const, error: null };
  let lastReported = 0;
  const report = async (force = false) => {
    state.updated_at = deps.clock().toISOString();
    // Paced by the machine's own clock: the import's may stand still (a backfill's, a test's).
    if (!force && performance.now() - lastReported < (deps.progressEveryMs ?? 2_000)) return;
    lastReported = performance.now();
    deps.onProgress?.({ ...state, progress: structuredClone(state.progress) });
    await deps.ledger.put(state.import_id, state);
  };

  try {
    if (state.phase === 'done' && state.report) return state.report;
    await report(true);
    if (state.phase === 'loading') {
      const started = Date.now();
      log.info('import loading', { format: state.format });
      state.progress = emptyProgress();
      await load(deps, state, () => report());
      state.ms.load = Date.now() - started;
      state.phase = 'seeding';
      state.seeding_started_at = deps.clock().toISOString();
      await report(true);
    }
    if (state.phase === 'seeding') {
      const began = Date.parse(state.seeding_started_at ?? state.updated_at);
      if (deps.clock().getTime() - began > RESUME_WINDOW_DAYS * DAY_MS) {
        throw new Error(
          `seeding began more than ${RESUME_WINDOW_DAYS} days ago and its marks are gone: resuming could learn a shopper twice`,
        );
      }
      const started = Date.now();
      await seed(deps, state, () => report());
      state.ms.seed += Date.now() - started;
      state.phase = 'patterns';
      await report(true);
    }
    if (state.phase === 'patterns') {
      const started = Date.now();
      const earliest = state.counts?.earliest;
      state.patterns = earliest ? await deps.patterns.run({ asOf: deps.clock(), since: new Date(earliest) }) : null;
      state.ms.patterns = Date.now() - started;
      state.phase = 'done';
    }
    const rejections = await deps.warehouse.query(
      'import_rejections.sql',
      { import_id: state.import_id, source: IMPORT_SOURCE, limit: REPORTED_REJECTIONS },
      'import',
    );
    const done: ImportReport = {
      import_id: state.import_id,
      format: state.format,
      source: state.source,
      fingerprint: state.fingerprint,
      anchor: state.anchor,
      progress: state.progress,
      imported: {
        ...(state.counts ?? { events: 0, order_lines: 0, shoppers: 0, earliest: null, latest: null, rejected: 0 }),
        already_present: state.already_present,
      },
      rejections: rejections.rows.map((row) => ({ line: Number(row.line), reason: String(row.reason) })),
      patterns: state.patterns,
      ms: state.ms,
    };
    Object.assign(state, { state: 'succeeded', report: done });
    await report(true);
    log.info('import succeeded', { imported: done.imported, progress: done.progress, ms: done.ms });
    return done;
  } catch (error) {
    // The reason only: the file's name and line, the step; never a row's content.
    Object.assign(state, { state: 'failed', error: error instanceof Error ? error.message.slice(0, 1_000) : String(error) });
    await report(true).catch((recordError: unknown) => log.warn('the failed import could not be recorded', { error: recordError }));
    if (error instanceof UnreadableHistory) log.warn('import refused: the file cannot be imported', { reason: state.error });
    else log.error('import failed', { phase: state.phase, error });
    throw error;
  }
}

function readerOf(deps: ImportDeps, state: ImportRecord, scope: HistoryScope): HistoryReader {
  switch (state.format) {
    case 'csv':
      return readOrderLines(deps.files.read(state.source), scope);
    case 'ndjson':
      return readNdjsonEvents(deps.files.read(state.source), scope);
    case 'instacart':
      return readInstacart(deps.files, state.source, scope, new Date(state.anchor ?? state.started_at));
  }
}

/** Phase 1: the file, slice by slice, into the staging; then the merge. */
async function load(deps: ImportDeps, state: ImportRecord, progressed: () => Promise<void>): Promise<void> {
  const receivedAt = new Date(state.started_at);
  const scope: HistoryScope = { receivedAt, receivedAtIso: receivedAt.toISOString(), maxFutureSkewMs: deps.maxFutureSkewMs };
  const reader = readerOf(deps, state, scope);
  const gate = knownShoppers(deps.gate);
  const sliceRows = deps.sliceRows ?? SLICE_ROWS;
  const progress = state.progress;
  const skippedShoppers = { tracking_off: new Set<string>(), erased: new Set<string>() };
  await deps.staging.clear();

  let slice: { events: { line: number; event: CollectedEvent }[]; rejected: RejectedRow[] } = { events: [], rejected: [] };
  const rejectedRow = (
    line: number,
    reason: string,
    payload: string,
    who: { userId: string | null; eventId: string | null; type: string | null },
  ): RejectedRow => {
    const cut = truncatePayload(payload);
    return {
      request_id: state.import_id,
      event_index: line,
      event_id: who.eventId,
      type: who.type,
      user_id: who.userId,
      reason: cut.truncated ? `${reason} ${cut.note}` : reason,
      payload: cut.text,
      source: IMPORT_SOURCE,
      received_at: scope.receivedAtIso,
    };
  };
  const flush = async () => {
    const named = slice.rejected.flatMap((row) => (row.user_id === null ? [] : [row.user_id]));
    const standing = await gate.standing([...new Set([...slice.events.map(({ event }) => event.user_id), ...named])]);
    // An erased shopper's bad rows are history from before the erasure too: left out, not kept as rejected.
    const rejected = slice.rejected.filter((row) => {
      if (row.user_id === null || standing.get(row.user_id)?.erased !== true) return true;
      progress.events_skipped.erased += 1;
      skippedShoppers.erased.add(row.user_id);
      return false;
    });
    const events: SqlRow[] = [];
    const orderItems: SqlRow[] = [];
    for (const { line, event } of slice.events) {
      const kept = keep(event, standing.get(event.user_id), receivedAt);
      if (kept !== 'kept') {
        progress.events_skipped[kept] += 1;
        if (kept === 'erased') skippedShoppers.erased.add(event.user_id);
        if (kept === 'not_tracked') skippedShoppers.tracking_off.add(event.user_id);
        continue;
      }
      events.push({ ...eventRow(event, state.import_id, state.import_id), import_line: line });
      for (const item of orderItemRows(event, state.import_id)) orderItems.push({ ...item, import_line: line });
    }
    await deps.staging.append({ events, orderItems, rejected });
    progress.events_staged += events.length;
    progress.rejected_rows += rejected.length;
    progress.shoppers_skipped = { tracking_off: skippedShoppers.tracking_off.size, erased: skippedShoppers.erased.size };
    progress.lines_read = reader.linesRead();
    progress.left_out = reader.skipped();
    slice = { events: [], rejected: [] };
    await progressed();
  };

  for await (const row of reader.rows) {
    if (row.kind === 'event') slice.events.push({ line: row.line, event: row.event });
    else slice.rejected.push(rejectedRow(row.line, row.reason, row.payload, row));
    if (slice.events.length + slice.rejected.length >= sliceRows) await flush();
  }
  await flush();
  await deps.staging.finish();
  await merge(deps, state);
  await deps.staging.clear();
}

/** Why an event is left out, by its shopper's standing and settings, or `kept`. */
function keep(
  event: CollectedEvent,
  standing: ShopperStanding | undefined,
  now: Date,
): 'kept' | 'not_tracked' | 'past_retention' | 'erased' {
  // The gate answers every shopper asked about; a missing one is a broken store, not a default.
  if (!standing) throw new Error('the privacy settings answered no standing for a shopper of the file');
  // History from before an erasure must stay gone, and a file cannot tell which rows came after it.
  if (standing.erased) return 'erased';
  const flag = TRACKED_BY[event.type];
  if (flag !== null && standing.settings[flag] !== true) return 'not_tracked';
  // The retention job would delete it at its next run: it is not kept, nor learned from.
  if (Date.parse(event.event_time) < now.getTime() - standing.settings.retention_days * DAY_MS) return 'past_retention';
  return 'kept';
}

/** The staging, merged: repeated events rejected, new events and their lines added, rejections kept; then the counts. */
async function merge(deps: ImportDeps, state: ImportRecord): Promise<void> {
  const params = {
    import_id: state.import_id,
    source: IMPORT_SOURCE,
    repeated_reason:
      state.format === 'ndjson'
        ? 'the event_id repeats: this shopper has an event of that id at line'
        : 'the lines of one order must follow each other: this order of this shopper began at line',
  };
  await deps.warehouse.execute('reject_repeated_imports.sql', params, 'import');
  await deps.warehouse.execute('insert_imported_events.sql', params, 'import');
  await deps.warehouse.execute('insert_imported_order_items.sql', params, 'import');
  await deps.warehouse.execute('insert_imported_rejections.sql', params, 'import');
  const [left] = (await deps.warehouse.query('import_staged_counts.sql', params, 'import')).rows;
  state.already_present = Number(left?.already_present ?? 0);
  const [counts] = (await deps.warehouse.query('import_counts.sql', params, 'import')).rows;
  state.counts = countsOf(counts);
}

function countsOf(row: SqlRow | undefined): ImportCounts {
  const time = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    events: Number(row?.events ?? 0),
    order_lines: Number(row?.order_lines ?? 0),
    shoppers: Number(row?.shoppers ?? 0),
    earliest: time(row?.earliest),
    latest: time(row?.latest),
    rejected: Number(row?.rejected ?? 0),
  };
}

/** Phase 2: every imported shopper, slice by slice, each seeded once. */
async function seed(deps: ImportDeps, state: ImportRecord, progressed: () => Promise<void>): Promise<void> {
  const limit = deps.seedSliceShoppers ?? SEED_SLICE_SHOPPERS;
  const now = deps.clock();
  const progress = state.progress;
  // A resumed run walks every shopper again: those seeded before cost a read and are not learned twice.
  Object.assign(progress, { shoppers_seeded: 0, events_learned: 0, seeding_writes: 0 });
  for (let after = ''; ;) {
    const page = await deps.warehouse.query('imported_shoppers.sql', { import_id: state.import_id, after, limit }, 'import');
    const shoppers = page.rows.map((row) => String(row.user_id));
    if (shoppers.length === 0) break;
    after = shoppers.at(-1) ?? after;
    // Asked again, not remembered: a shopper erased since their rows were staged is taken out again.
    const standing = await deps.gate.standing(shoppers);
    const erased = shoppers.filter((userId) => standing.get(userId)?.erased !== false);
    if (erased.length) {
      await deps.warehouse.execute('forget_imported_events.sql', { import_id: state.import_id, user_ids: erased }, 'import');
      await deps.warehouse.execute('forget_imported_order_items.sql', { import_id: state.import_id, user_ids: erased }, 'import');
      await deps.warehouse.execute(
        'forget_imported_rejections.sql',
        { import_id: state.import_id, source: IMPORT_SOURCE, user_ids: erased },
        'import',
      );
      deps.logger.info('imported rows of shoppers erased during the import removed', {
        import_id: state.import_id,
        shoppers: erased.length,
      });
    }
    const seeding = shoppers.filter((userId) => !erased.includes(userId));
    const rows = seeding.length
      ? (await deps.warehouse.query('imported_events.sql', { import_id: state.import_id, user_ids: seeding }, 'import')).rows
      : [];
    const byShopper = new Map<string, CollectedEvent[]>();
    for (const row of rows) {
      const event = storedEvent(row);
      const list = byShopper.get(event.user_id);
      if (list) list.push(event);
      else byShopper.set(event.user_id, [event]);
    }
    for (const outcome of await deps.seeder.seed(
      [...byShopper].map(([userId, events]) => ({ userId, events })),
      now,
      state.import_id,
    )) {
      progress.shoppers_seeded += 1;
      progress.events_learned += outcome.applied;
      progress.seeding_writes += outcome.writes;
    }
    await progressed();
  }
}

/** The shoppers' standing, remembered for `KNOWN_SHOPPERS` of them (the oldest forgotten first), so a slice asks only about new ones. */
function knownShoppers(gate: ShopperGate): ShopperGate {
  const known = new Map<string, ShopperStanding>();
  return {
    async standing(userIds) {
      const unknown = userIds.filter((id) => !known.has(id));
      const fetched = unknown.length ? await gate.standing(unknown) : new Map<string, ShopperStanding>();
      for (const [id, standing] of fetched) known.set(id, standing);
      // A Map keeps insertion order: the first keys are the oldest.
      for (const id of known.keys()) {
        if (known.size <= KNOWN_SHOPPERS) break;
        known.delete(id);
      }
      return new Map(
        userIds.flatMap((id): [string, ShopperStanding][] => {
          const standing = fetched.get(id) ?? known.get(id);
          return standing ? [[id, standing]] : [];
        }),
      );
    },
  };
}
