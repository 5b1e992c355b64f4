import { LIMITS } from '../events/limits.ts';
import type { EventType } from '../events/schema.ts';

/**
 * A queued event: its JSON without `sent_at`, which is set when a request carries it. `bytes` is the
 * UTF-8 size of `json`. The id and type are kept beside it for acknowledgements and consent.
 */
export type Entry = { id: string; type: EventType; json: string; bytes: number };

/** `,"sent_at":"2026-11-26T12:00:00.000Z"`: what sending adds to each event (ISO strings are 24 characters). */
export const SENT_AT_BYTES = ',"sent_at":""'.length + 24;
const BODY_BYTES = '{"events":[]}'.length;

export type BatchLimits = { maxEvents: number; maxBytes: number };

/** collect's own limits on one request (`LIMITS`, docs/events.md#limits). */
export const REQUEST_LIMITS: BatchLimits = { maxEvents: LIMITS.maxEventsPerRequest, maxBytes: LIMITS.maxRequestBytes };

/** An event's size as collect measures it, `sent_at` included. */
export function sentBytes(entry: Pick<Entry, 'bytes'>): number {
  return entry.bytes + SENT_AT_BYTES;
}

export type AddResult = { ok: true } | { ok: false; full: 'events' | 'bytes' };

/** A request being filled: `tryAdd` takes an event only while the request stays within its limits. */
export function createBatch(limits: BatchLimits) {
  const entries: Entry[] = [];
  let bytes = BODY_BYTES;
  return {
    entries,
    get bytes() {
      return bytes;
    },
    tryAdd(entry: Entry): AddResult {
      if (entries.length >= limits.maxEvents) return { ok: false, full: 'events' };
      const added = sentBytes(entry) + (entries.length ? 1 : 0);
      if (bytes + added > limits.maxBytes) return { ok: false, full: 'bytes' };
      entries.push(entry);
      bytes += added;
      return { ok: true };
    },
  };
}

/** The oldest events that fit one request, in order. */
export function takeBatch(queued: readonly Entry[], limits: BatchLimits): { entries: Entry[]; bytes: number } {
  const batch = createBatch(limits);
  for (const entry of queued) if (!batch.tryAdd(entry).ok) break;
  return { entries: batch.entries, bytes: batch.bytes };
}

/** The request body: each event's JSON with `sent_at` added, without parsing it again. */
export function requestBody(entries: readonly Entry[], sentAt: string): string {
  return `{"events":[${entries.map((entry) => `${entry.json.slice(0, -1)},"sent_at":"${sentAt}"}`).join(',')}]}`;
}
