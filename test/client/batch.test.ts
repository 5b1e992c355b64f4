import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_LIMITS, requestBody, sentBytes, takeBatch, type Entry } from '../../functions/client/batch.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { entryOf } from '../../functions/client/queue.ts';

const SENT_AT = '2026-11-26T12:00:00.000Z';

/** An event of about `bytes` bytes of JSON, `text` repeated in its query. */
function event(id: number, text = 'x', repeat = 1): Entry {
  return entryOf(
    JSON.stringify({ event_id: `e-${id}`, type: 'search_performed', data: { query: text.repeat(repeat) } }),
    `e-${id}`,
    'search_performed',
  );
}

describe('a batch', () => {
  it('holds at most collect’s events per request', () => {
    const queued = Array.from({ length: 250 }, (_, i) => event(i));
    const batch = takeBatch(queued, REQUEST_LIMITS);
    expect(batch.entries).toHaveLength(LIMITS.maxEventsPerRequest);
    expect(batch.entries.map((e) => e.id)).toEqual(queued.slice(0, 100).map((e) => e.id));
  });

  it('holds at most collect’s bytes per request, measured as UTF-8', () => {
    // 20 events of about 30 KB each, in three-byte characters: 17 fit in 512 KiB.
    const queued = Array.from({ length: 20 }, (_, i) => event(i, '€', 10_000));
    const batch = takeBatch(queued, REQUEST_LIMITS);
    const body = requestBody(batch.entries, SENT_AT);
    expect(Buffer.byteLength(body)).toBe(batch.bytes);
    expect(batch.bytes).toBeLessThanOrEqual(LIMITS.maxRequestBytes);
    expect(batch.bytes + sentBytes(queued[batch.entries.length] as Entry) + 1).toBeGreaterThan(LIMITS.maxRequestBytes);
    expect(batch.entries).toHaveLength(17);
  });

  it('is the longest run of the oldest events that fits, and its size is its body’s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(300)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 13, max: 20_000 }),
        (specs, maxEvents, maxBytes) => {
          const queued = specs.map(([text, repeat], i) => event(i, text, repeat));
          const batch = takeBatch(queued, { maxEvents, maxBytes });
          const body = requestBody(batch.entries, SENT_AT);
          expect(Buffer.byteLength(body)).toBe(batch.bytes);
          expect(batch.entries.length).toBeLessThanOrEqual(maxEvents);
          expect(batch.bytes).toBeLessThanOrEqual(maxBytes);
          expect(batch.entries).toEqual(queued.slice(0, batch.entries.length));
          const next = queued[batch.entries.length];
          if (next && batch.entries.length < maxEvents)
            expect(Buffer.byteLength(requestBody([...batch.entries, next], SENT_AT))).toBeGreaterThan(maxBytes);
        },
      ),
    );
  });

  it('adds sent_at to every event without touching the rest', () => {
    const queued = [event(1, 'oat "milk"'), event(2, 'rye\nbread')];
    const sent = JSON.parse(requestBody(queued, SENT_AT)) as { events: Record<string, unknown>[] };
    expect(sent.events).toEqual(queued.map((e) => ({ ...(JSON.parse(e.json) as object), sent_at: SENT_AT })));
  });
});
