import { createHash } from 'node:crypto';

/**
 * The field of `preferences/{id}` that remembers which events were learned: a map from a day (days since
 * 1970, as text) to the ids whose marks run out before that day begins, 8 bytes each, in one Bytes value.
 * Kept in the document learning writes anyway, so a message costs one write whatever its size.
 */
export const APPLIED_IDS_FIELD = 'applied_ids';

/**
 * Bytes kept per event: the first 8 of SHA-256(event_id). Ids are looked up among one shopper's only, so two
 * of their events share a mark with odds of about 1 in 4.6 × 10^14 at the limit below: then the second is
 * taken for a repeat and not learned.
 */
export const APPLIED_ID_BYTES = 8;

/**
 * Most ids one document keeps: 320,000 bytes, beside at most 512 KiB of learned preferences (bounded by their
 * top-K) and the batch patterns (tens of KB), under Firestore's 1 MiB per document. Over the default 8 days of
 * marks that is 5,000 events a day per shopper, every day; a shopper past it keeps their newest 40,000 ids,
 * so their window of exactly-once is shorter than 8 days (see docs/learning.md).
 */
export const APPLIED_IDS_LIMIT = 40_000;

const DAY_MS = 86_400_000;

/** Up to this many bytes of stored ids (512 ids) are searched as they are; past it, indexed in a Set. */
const SCANNED_BYTES = 4096;

export function appliedIdOf(eventId: string): Buffer {
  return createHash('sha256').update(eventId).digest().subarray(0, APPLIED_ID_BYTES);
}

/** How `applied_ids` is stored: day → ids, concatenated. */
export type StoredAppliedIds = Record<string, Buffer>;

/** A shopper's applied ids as read, with those marked since. */
export type AppliedIds = {
  has(id: Buffer): boolean;
  /** Marks `id` as applied until `expiresAtMs` (kept until the end of that day). */
  add(id: Buffer, expiresAtMs: number): void;
  /** Marks the ids of another stored field, each for as long as it was kept there: e.g. a linked visitor's. */
  addStored(field: unknown): void;
  /**
   * The field to store as of `nowMs`: days that have run out are dropped, then the oldest ids past
   * `APPLIED_IDS_LIMIT`, which `forgotten` counts.
   */
  toStored(nowMs: number): { value: StoredAppliedIds; forgotten: number };
};

/** The applied ids of a stored field; anything that is not a day's Bytes is ignored. */
export function appliedIds(field: unknown): AppliedIds {
  const days = new Map<number, Buffer[]>(storedDays(field).map(([day, ids]) => [day, [ids]]));
  // Marked in this call: a repeat within one message is a repeat too.
  const added = new Set<string>();
  // Few ids are scanned where they lie; many are indexed once, on the first look-up.
  const stored = [...days.values()].flat();
  let index: Set<string> | null = null;
  const inStored = (id: Buffer): boolean => {
    if (stored.reduce((n, chunk) => n + chunk.length, 0) <= SCANNED_BYTES) return stored.some((chunk) => containsId(chunk, id));
    index ??= new Set(
      stored.flatMap((chunk) =>
        Array.from({ length: chunk.length / APPLIED_ID_BYTES }, (_, i) =>
          chunk.toString('latin1', i * APPLIED_ID_BYTES, (i + 1) * APPLIED_ID_BYTES),
        ),
      ),
    );
    return index.has(id.toString('latin1'));
  };

  const has = (id: Buffer): boolean => added.has(id.toString('latin1')) || inStored(id);
  const add = (id: Buffer, expiresAtMs: number): void => {
    added.add(id.toString('latin1'));
    const day = Math.floor(expiresAtMs / DAY_MS) + 1;
    const chunks = days.get(day);
    if (chunks) chunks.push(id);
    else days.set(day, [id]);
  };

  return {
    has,
    add,
    addStored(other) {
      for (const [day, ids] of storedDays(other)) {
        for (let at = 0; at < ids.length; at += APPLIED_ID_BYTES) {
          const id = ids.subarray(at, at + APPLIED_ID_BYTES);
          // Kept under the same day as there: its mark runs out when it would have.
          if (!has(id)) add(id, (day - 1) * DAY_MS);
        }
      }
    },
    toStored(nowMs) {
      const live = [...days.entries()].filter(([day]) => day * DAY_MS > nowMs).sort(([a], [b]) => b - a);
      const value: StoredAppliedIds = {};
      let room = APPLIED_IDS_LIMIT * APPLIED_ID_BYTES;
      let forgotten = 0;
      // Newest days first, so the oldest ids are the ones that do not fit.
      for (const [day, chunks] of live) {
        const ids = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        const kept = ids.subarray(Math.max(0, ids.length - room));
        forgotten += (ids.length - kept.length) / APPLIED_ID_BYTES;
        room -= kept.length;
        if (kept.length > 0) value[String(day)] = kept;
      }
      return { value, forgotten };
    },
  };
}

/** The days of a stored field with their ids, whole ids only; anything that is not a day's Bytes is left out. */
function storedDays(field: unknown): [number, Buffer][] {
  if (typeof field !== 'object' || field === null || Array.isArray(field)) return [];
  return Object.entries(field).flatMap(([key, value]): [number, Buffer][] => {
    const day = Number(key);
    if (!Number.isSafeInteger(day) || !(value instanceof Uint8Array)) return [];
    return [[day, Buffer.from(value.buffer, value.byteOffset, value.byteLength - (value.byteLength % APPLIED_ID_BYTES))]];
  });
}

/** Whether `id` is one of the ids in `chunk`: found at a multiple of the id's size, not across two ids. */
function containsId(chunk: Buffer, id: Buffer): boolean {
  let at = chunk.indexOf(id);
  while (at !== -1 && at % APPLIED_ID_BYTES !== 0) at = chunk.indexOf(id, at + 1);
  return at !== -1;
}

/** A stored document less its applied ids: what readers of what was learned see. */
export function withoutAppliedIds(data: Record<string, unknown>): Record<string, unknown> {
  if (!(APPLIED_IDS_FIELD in data)) return data;
  const { [APPLIED_IDS_FIELD]: _applied, ...rest } = data;
  return rest;
}
