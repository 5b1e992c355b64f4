import fc from 'fast-check';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CollectResponse } from '../../functions/collect/handler.ts';
import { EventBatchMessage, RejectedBatchMessage } from '../../functions/events/messages.ts';
import { EVENT_TYPES } from '../../functions/events/schema.ts';
import { MAX_REJECTED_PAYLOAD_BYTES } from '../../functions/warehouse/rows.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { validEvent } from '../support/fixtures.ts';

let token: string;
let harness: Awaited<ReturnType<typeof collectUnderTest>>;

beforeAll(async () => {
  token = await tokenFor('shopper-prop');
  harness = await collectUnderTest();
});

function reset(): void {
  harness.bus.events.messages.length = 0;
  harness.bus.rejected.messages.length = 0;
}

/** Everything on the events topic must be a well-formed batch, and nothing else. */
function expectOnlyWellFormedMessages(): void {
  for (const message of harness.bus.events.messages)
    expect(EventBatchMessage.safeParse(JSON.parse(message.data.toString())).success).toBe(true);
  for (const message of harness.bus.rejected.messages)
    expect(RejectedBatchMessage.safeParse(JSON.parse(message.data.toString())).success).toBe(true);
}

const validEvents = fc.constantFrom(...EVENT_TYPES).map((type) => validEvent(type));

/** A valid event with one field, at any depth, replaced by an arbitrary JSON value. */
const mutatedEvents = fc.tuple(validEvents, fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([event, pick, value]) => {
  const paths: string[][] = [];
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== 'object' || node === null) return;
    for (const key of Object.keys(node)) {
      paths.push([...path, key]);
      walk((node as Record<string, unknown>)[key], [...path, key]);
    }
  };
  walk(event, []);
  const copy = structuredClone(event);
  const path = paths[pick % paths.length] ?? ['type'];
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  parent[path[path.length - 1] ?? 'type'] = value;
  return copy;
});

/**
 * Any JSON value, often nested thousands of levels deep: arbitrary trees from `fc.letrec`, wrapped in
 * arrays or objects as often as it takes to overflow a recursive walk. Built iteratively, and sent as
 * text written by hand, since no recursive serializer could write it.
 */
const deepJsonTexts = fc
  .record({
    tree: fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 3 }),
      ),
    })).node,
    levels: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 20_000 })),
    wrapper: fc.constantFrom('[', '{"k":', '{"":[', '[{"a":'),
  })
  .map(({ tree, levels, wrapper }) => {
    const close = wrapper
      .replace(/"[^"]*":/g, '')
      .replace(/[[{]/g, (c) => (c === '[' ? ']' : '}'))
      .split('')
      .reverse()
      .join('');
    return wrapper.repeat(levels) + JSON.stringify(tree) + close.repeat(levels);
  });

/** Where a value goes: as the event itself, or as its `data`, its `context` or a field it does not know. */
const placements = fc.constantFrom('event', 'data', 'context', 'unknown_field');

describe('collect under arbitrary input', () => {
  it('never answers 5xx to arbitrary JSON values as events, however deep, and accepts the valid event beside them', async () => {
    await fc.assert(
      fc.asyncProperty(deepJsonTexts, placements, fc.constantFrom('application/json', 'text/plain'), async (value, placement, type) => {
        reset();
        const good = validEvent('product_viewed');
        const other =
          placement === 'event'
            ? value
            : JSON.stringify({ ...validEvent('cart_item_added'), [placement]: '__value__' }).replace('"__value__"', () => value); // a function: `$` in a value is not a replacement pattern
        const res = await request(harness.server)
          .post('/v1/events')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', type)
          .send(`{"events":[${JSON.stringify(good)},${other}]}`);

        expect(res.status).toBe(202);
        expect((res.body as CollectResponse).accepted).toBeGreaterThanOrEqual(1);
        expectOnlyWellFormedMessages();
        const published = harness.bus.events.messages.flatMap((m) =>
          EventBatchMessage.parse(JSON.parse(m.data.toString())).events.map((e) => e.event_id),
        );
        expect(published).toContain(good.event_id);
        for (const message of harness.bus.rejected.messages) {
          for (const rejected of RejectedBatchMessage.parse(JSON.parse(message.data.toString())).rejected) {
            expect(Buffer.byteLength(rejected.payload)).toBeLessThanOrEqual(MAX_REJECTED_PAYLOAD_BYTES);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never answers 5xx and never publishes garbage, whatever JSON body arrives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ events: fc.array(fc.jsonValue(), { maxLength: 5 }) })), async (body) => {
        reset();
        const res = await request(harness.server)
          .post('/v1/events')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        expect([202, 400, 413]).toContain(res.status);
        expect(harness.bus.events.messages).toHaveLength(0);
        expectOnlyWellFormedMessages();
      }),
      { numRuns: 150 },
    );
  });

  it('never answers 5xx to arbitrary bytes sent as text/plain', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (body) => {
        reset();
        const res = await request(harness.server)
          .post('/v1/events/click')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', 'text/plain')
          .send(body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(harness.bus.events.messages).toHaveLength(0);
      }),
      { numRuns: 150 },
    );
  });

  it('accepts exactly the valid events of a mixed batch and keeps every other one with a reason', async () => {
    const item = fc.oneof(
      validEvents.map((event) => ({ kind: 'valid' as const, event })),
      fc.jsonValue({ maxDepth: 3 }).map((event) => ({ kind: 'junk' as const, event })),
      mutatedEvents.map((event) => ({ kind: 'mutated' as const, event })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 12 }), async (items) => {
        reset();
        const res = await request(harness.server)
          .post('/v1/events')
          .set('Authorization', `Bearer ${token}`)
          .send({ events: items.map((i) => i.event) });
        expect([202, 400]).toContain(res.status);
        const body = res.body as CollectResponse;
        expectOnlyWellFormedMessages();

        const published = harness.bus.events.messages.flatMap((m) =>
          EventBatchMessage.parse(JSON.parse(m.data.toString())).events.map((e) => e.event_id),
        );
        const keptRejected = harness.bus.rejected.messages.flatMap((m) =>
          RejectedBatchMessage.parse(JSON.parse(m.data.toString())).rejected.map((r) => r.index),
        );
        // Every valid event is accepted; nothing is lost: each index is accepted or rejected and kept.
        for (const [index, i] of items.entries()) {
          if (i.kind === 'valid') expect(published).toContain(i.event.event_id);
          if (i.kind === 'junk') expect(keptRejected).toContain(index);
        }
        expect(body.accepted).toBe(published.length);
        expect(body.accepted + body.rejected.length + body.duplicates).toBe(items.length);
        expect(body.rejected.map((r) => r.index)).toEqual(keptRejected);
        for (const r of body.rejected) expect(r.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });
});
