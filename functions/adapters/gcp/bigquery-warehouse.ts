import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CollectedEvent } from '../../events/schema.ts';
import { eventKey, type EventIdentity } from '../../kernel/event-identity.ts';
import type { IdentityLinkRow, LinkWarehouse, RejectedRow, RowFailure, Warehouse } from '../../warehouse/ports.ts';
import { eventRow, orderItemRows, REJECTED_ROW_IDENTITY } from '../../warehouse/rows.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../warehouse/sql-files.ts';

/** A row as `tabledata.insertAll` takes it; `insertId` lets BigQuery drop a repeat (best effort, about a minute). */
export type InsertAllRow = { insertId: string; json: Record<string, unknown> };
/** `partialRetries: 0`: the client would otherwise resend every failed row itself, `invalid` ones included. */
export type InsertAllOptions = { raw: true; partialRetries: 0 };

/** A table that takes streaming inserts; throws a `PartialFailureError` when some rows were not written. */
export interface InsertTarget {
  insert(rows: InsertAllRow[], options: InsertAllOptions): Promise<unknown>;
}

/** The part of the BigQuery client this adapter uses; `BigQuery` from `@google-cloud/bigquery` fits it. */
export interface StreamingInsertClient {
  dataset(name: string): { table(name: string): InsertTarget };
}

/** The part of the BigQuery client `createTables` uses. */
export interface QueryClient {
  query(query: { query: string; defaultDataset: { datasetId: string }; location?: string }): Promise<unknown>;
}

export type BigQueryWarehouseOptions = {
  /** Resends of rows that failed for a transient reason, before the call throws. Default 3. */
  maxRetries?: number;
  /** Wait before the first resend, ms; doubled for each next one, with jitter. Default 200. */
  baseDelayMs?: number;
  /** Rows per insertAll request. Default 500, BigQuery's recommendation. */
  maxRowsPerRequest?: number;
  /** JSON bytes per insertAll request, roughly. Default 5 MiB (the API refuses requests over 10 MB). */
  maxBytesPerRequest?: number;
  /** For tests. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests. Default: `Math.random`. */
  random?: () => number;
};

/**
 * Per-row reasons of a partial failure (https://cloud.google.com/bigquery/docs/error-messages).
 * `invalid` is the row's own fault and will fail the same way again: it is answered, not retried.
 * `stopped` rows were fine but not written because another row of the request was invalid.
 * Any other reason is not the row's fault either, so it is retried too and in the end thrown.
 */
const PERMANENT_REASONS = new Set(['invalid']);

/** What the client throws when some rows of an insertAll were not written. */
const PartialFailure = z.object({
  name: z.literal('PartialFailureError'),
  errors: z.array(
    z.object({
      row: z.object({ insertId: z.string() }),
      errors: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })),
    }),
  ),
});

type Failed = { insertId: string; reason: string; permanent: boolean };

/** BigQuery in production: streaming inserts, idempotent in effect through insertIds and SQL deduplication. */
export function createBigQueryWarehouse(
  client: StreamingInsertClient,
  dataset: string,
  options: BigQueryWarehouseOptions = {},
): Warehouse & LinkWarehouse {
  const settings = {
    maxRetries: options.maxRetries ?? 3,
    baseDelayMs: options.baseDelayMs ?? 200,
    maxRowsPerRequest: options.maxRowsPerRequest ?? 500,
    maxBytesPerRequest: options.maxBytesPerRequest ?? 5 * 1024 * 1024,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
  const table = (name: string) => client.dataset(dataset).table(name);

  /** Inserts every row; answers the rows refused for good by insertId; throws when transient failures outlast the retries. */
  async function insertAll(tableName: string, rows: InsertAllRow[]): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const chunk of chunks(rows, settings.maxRowsPerRequest, settings.maxBytesPerRequest)) {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        const failures = await insertOnce(table(tableName), pending);
        for (const f of failures) if (f.permanent) refused.set(f.insertId, f.reason);
        const retry = new Set(failures.filter((f) => !f.permanent).map((f) => f.insertId));
        pending = pending.filter((row) => retry.has(row.insertId));
        if (pending.length === 0) break;
        if (attempt >= settings.maxRetries) {
          const reasons = [...new Set(failures.filter((f) => !f.permanent).map((f) => f.reason))].join('; ');
          throw new Error(`${tableName}: ${pending.length} rows still failing after ${settings.maxRetries} retries: ${reasons}`);
        }
        const delay = settings.baseDelayMs * 2 ** attempt;
        // Jitter spreads the resends of instances that failed together.
        await settings.sleep(Math.round(delay * (0.5 + settings.random() / 2)));
      }
    }
    return refused;
  }

  return {
    async insertEvents(events: readonly CollectedEvent[], requestId: string) {
      const eventRows = events.map((event) => ({ insertId: eventInsertId(event), json: eventRow(event, requestId) }));
      const refused = await insertAll('events', eventRows);
      // An order whose event row was refused gets no item rows: it is kept as rejected instead.
      const itemRows = events
        .filter((event) => !refused.has(eventInsertId(event)))
        .flatMap((event) => orderItemRows(event))
        .map((item) => ({ insertId: orderItemInsertId(item), json: item }));
      const refusedItems = await insertAll('order_items', itemRows);

      const failed = new Map<string, RowFailure>();
      const fail = (event: EventIdentity, reason: string) => {
        const earlier = failed.get(eventKey(event))?.reason;
        failed.set(eventKey(event), {
          user_id: event.user_id,
          event_id: event.event_id,
          reason: earlier ? `${earlier}; ${reason}` : reason,
        });
      };
      const byInsertId = new Map(events.map((event) => [eventInsertId(event), event]));
      for (const [insertId, reason] of refused) {
        const event = byInsertId.get(insertId);
        if (event) fail(event, reason);
      }
      for (const item of itemRows) {
        const reason = refusedItems.get(item.insertId);
        if (reason !== undefined) fail(item.json, `order_items line ${item.json.line}: ${reason}`);
      }
      return { failed: [...failed.values()] };
    },

    async insertRejected(rows: readonly RejectedRow[]) {
      const refused = await insertAll(
        'rejected_events',
        rows.map((row) => ({ insertId: rejectedInsertId(row), json: row })),
      );
      // Nowhere else to keep them: throwing sends the message on to the dead-letter topic.
      if (refused.size > 0) throw new Error(`rejected_events refused ${refused.size} rows: ${[...refused.values()].join('; ')}`);
    },

    async recordLink(row: IdentityLinkRow) {
      const refused = await insertAll('identity_links', [{ insertId: linkInsertId(row), json: row }]);
      if (refused.size > 0) throw new Error(`identity_links refused the link: ${[...refused.values()].join('; ')}`);
    },
  };
}

/** One insertAll request; the rows it did not write, each with why and whether that is for good. */
async function insertOnce(target: InsertTarget, rows: InsertAllRow[]): Promise<Failed[]> {
  try {
    await target.insert(rows, { raw: true, partialRetries: 0 });
    return [];
  } catch (error) {
    const partial = PartialFailure.safeParse(error);
    // Anything but a per-row answer (network, 5xx, 404 table, permissions) is for Pub/Sub to retry.
    if (!partial.success) throw error;
    return partial.data.errors.map(({ row, errors }) => ({
      insertId: row.insertId,
      reason: errors.map((e) => `${e.reason ?? 'unknown'}: ${e.message ?? ''}`.trim()).join('; ') || 'unknown',
      permanent: errors.some((e) => e.reason !== undefined && PERMANENT_REASONS.has(e.reason)),
    }));
  }
}

/** Splits rows into requests of at most `maxRows` rows and about `maxBytes` of JSON; a lone larger row goes alone. */
export function chunks<T>(rows: readonly T[], maxRows: number, maxBytes: number): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row));
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * An `events` row's insertId: the event's identity, (user_id, event_id), so a redelivery is dropped as a repeat
 * and another shopper's event under the same event_id is not. Hashed: any user id fits, in 64 characters
 * (BigQuery takes up to 128).
 */
export function eventInsertId(event: EventIdentity): string {
  return sha256(JSON.stringify([event.user_id, event.event_id]));
}

/** An `order_items` row's insertId: its event's identity and its line. */
export function orderItemInsertId(item: EventIdentity & { line: number }): string {
  return sha256(JSON.stringify([item.user_id, item.event_id, item.line]));
}

/** The same rejection always gets the same insertId, so a redelivered message is dropped by BigQuery. */
export function rejectedInsertId(row: RejectedRow): string {
  const identity = REJECTED_ROW_IDENTITY.map((column) => row[column]);
  return sha256(JSON.stringify(identity));
}

/** A link's insertId: the visitor and the shopper, so that the same link recorded again is dropped as a repeat. */
export function linkInsertId(row: IdentityLinkRow): string {
  return sha256(JSON.stringify([row.anonymous_id, row.user_id]));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Creates the tables of `sql/` in `dataset` if missing (ops; Pulumi declares them too). */
export async function createTables(client: QueryClient, dataset: string, options: { location?: string } = {}): Promise<void> {
  for (const table of WAREHOUSE_TABLES) {
    const query = await readTableDdl(table);
    await client.query({ query, defaultDataset: { datasetId: dataset }, ...(options.location ? { location: options.location } : {}) });
  }
}
