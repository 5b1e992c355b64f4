import type { CollectedEvent } from '../events/schema.ts';
import type { PrivacySettings } from '../privacy/settings.ts';
import type { RejectedRow, SqlRow } from '../warehouse/ports.ts';

/**
 * One thing a history file says, as its reader makes it: an event of the contract, starting on file line `line`
 * (an order of several lines starts on its first), or a row that cannot be one, with why.
 */
export type HistoryRow =
  | { kind: 'event'; line: number; event: CollectedEvent }
  | { kind: 'rejected'; line: number; reason: string; payload: string; userId: string | null; eventId: string | null; type: string | null };

/**
 * A reader of one history format: the rows of the file, how many lines it has read so far, and what it left out on
 * purpose (not bad input, so not rejected), by why, e.g. orders the layout places after the import's own time.
 */
export type HistoryReader = { rows: AsyncIterable<HistoryRow>; linesRead(): number; skipped(): Record<string, number> };

/** A file that cannot be imported at all (its header, a file of a layout missing): the import stops, saying why. */
export class UnreadableHistory extends Error {
  override name = 'UnreadableHistory';
}

/** A file of history, local or in Cloud Storage, read as text as it streams. */
export interface HistoryFiles {
  /** What identifies the file's content without reading it: size and modification time, or Cloud Storage's generation and checksum. */
  fingerprint(uri: string): Promise<string>;
  /** The file's text, chunk by chunk (UTF-8). */
  read(uri: string): AsyncIterable<string>;
  /** `name` beside or inside `uri` (a folder): the files of a layout such as Instacart's. */
  within(uri: string, name: string): string;
}

/** What a shopper's settings say about importing their history. */
export type ShopperStanding = { settings: PrivacySettings; erased: boolean };

/** The privacy side of an import: each shopper's settings, and whether they were ever erased (a tombstone). */
export interface ShopperGate {
  standing(userIds: readonly string[]): Promise<Map<string, ShopperStanding>>;
}

/** The staging tables of a history import, one per kind of row (`sql/import_*_staging.sql`). */
export const IMPORT_STAGING_TABLES = {
  events: 'import_events_staging',
  orderItems: 'import_order_items_staging',
  rejected: 'import_rejected_staging',
} as const;

/** One slice of staged rows, in the columns of the staging tables of `sql/`. */
export type StagedSlice = { events: SqlRow[]; orderItems: SqlRow[]; rejected: RejectedRow[] };

/**
 * Where an import's rows wait before they are merged into the warehouse in one go: DuckDB's appender into its
 * staging tables, or NDJSON objects in Cloud Storage loaded by BigQuery load jobs (never streaming inserts).
 */
export interface ImportStaging {
  /** Empties the staging: before an import (of what an interrupted attempt left) and after its merge. */
  clear(): Promise<void>;
  append(slice: StagedSlice): Promise<void>;
  /** Makes every appended row readable by the merge statements. */
  finish(): Promise<void>;
}

/** What seeding one shopper did. */
export type SeedOutcome = {
  /** Events learned from now. */
  applied: number;
  /** Events skipped because they had been learned already (sent live too, within the marker window). */
  alreadyApplied: number;
  /** True when this import had seeded the shopper before (an interrupted run, resumed): nothing was done. */
  seededBefore: boolean;
  /** Firestore documents written. */
  writes: number;
};

/**
 * Learning from shoppers' imported events, as real-time learning would have: `learn` over each one's events, with
 * the applied-event markers, so that an event that also arrives live is learned once, and a resumed import never
 * learns a shopper twice. A slice of shoppers at a time; an outcome per shopper, in their order.
 */
export interface HistorySeeder {
  seed(shoppers: readonly { userId: string; events: readonly CollectedEvent[] }[], now: Date, importId: string): Promise<SeedOutcome[]>;
}

/** The patterns job, run over the imported range so that the batch patterns know the history too. */
export interface PatternsRunner {
  run(request: { asOf: Date; since: Date }): Promise<Record<string, unknown>>;
}

/** Where an import keeps how far it got, so that running it again resumes it; keyed by the import's id. */
export interface ImportLedger<Record> {
  get(importId: string): Promise<Record | null>;
  put(importId: string, record: Record): Promise<void>;
}
