import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CollectResponse } from '../../functions/collect/handler.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { EventBatchMessage, RejectedBatchMessage } from '../../functions/events/messages.ts';
import { createStoreRejectedHandler } from '../../functions/ingest/handler.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { MAX_REJECTED_PAYLOAD_BYTES } from '../../functions/warehouse/rows.ts';
import { collectUnderTest, tokenFor } from '../support/collect-server.ts';
import { NOW, validEvent, type RawEvent } from '../support/fixtures.ts';
import { decode } from '../support/memory-bus.ts';
import { createMemoryWarehouse } from '../support/memory-warehouse.ts';
import { pubsubCloudEvent } from '../support/messages.ts';

// JSON.parse reads any depth, but JSON.stringify and every recursive walk overflow the stack at a few
// thousand levels: 10,000 is well past that, and still within the per-event byte limit.
const DEPTH = 10_000;
const REASON = `event is nested deeper than ${LIMITS.maxNestingDepth} levels`;

let token: string;
beforeAll(async () => {
  token = await tokenFor('shopper-deep');
});

/** JSON text of `levels` arrays inside each other: the body is written by hand, as no serializer could write it. */
const deepArrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** A valid event as JSON text with `field` replaced by `levels` of nesting. */
function deepEventText(event: RawEvent, field: string, levels: number): string {
  const marker = '"__deep__"';
  return JSON.stringify({ ...event, [field]: '__deep__' }).replace(marker, deepArrays(levels));
}

const post = (server: Parameters<typeof request>[0], path: string, type: string, body: string) =>
  request(server).post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', type).send(body);

/** The rejected events collect published, stored as `storeRejected` stores them. */
async function storedRejections(message: Parameters<typeof decode>[0]) {
  const { warehouse, state } = createMemoryWarehouse();
  await createStoreRejectedHandler({ warehouse, clock: () => NOW, logger: createMemoryLogger() })(pubsubCloudEvent(decode(message)));
  return state.rejected;
}

describe('collect: events nested too deeply', () => {
  describe.each(['application/json', 'text/plain'])('sent as %s', (type) => {
    it.each(['data', 'context', 'unknown_field'])(
      'rejects an event nested deeply in %s on its own and accepts the one beside it',
      async (field) => {
        const { server, bus } = await collectUnderTest();
        const good = validEvent('product_viewed');
        const deep = validEvent('cart_item_added');
        const res = await post(server, '/v1/events', type, `{"events":[${JSON.stringify(good)},${deepEventText(deep, field, DEPTH)}]}`);

        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, event_id: deep.event_id, reason: REASON }] });
        expect(EventBatchMessage.parse(decode(bus.events.messages[0])).events.map((e) => e.event_id)).toEqual([good.event_id]);

        const [rejected] = RejectedBatchMessage.parse(decode(bus.rejected.messages[0])).rejected;
        expect(rejected).toMatchObject({ index: 1, event_id: deep.event_id, type: 'cart_item_added', reason: REASON });
        // The payload keeps the event's first levels, as valid JSON, and no more.
        const payload = JSON.parse(rejected?.payload ?? '') as RawEvent;
        expect(payload).toMatchObject({ event_id: deep.event_id, session_id: deep.session_id });
        expect(JSON.stringify(payload[field])).toContain(`nested deeper than ${LIMITS.maxNestingDepth} levels`);

        const rows = await storedRejections(bus.rejected.messages[0]);
        expect(rows).toMatchObject([{ event_id: deep.event_id, reason: REASON, source: 'collect', user_id: 'shopper-deep' }]);
        expect(Buffer.byteLength(rows[0]?.payload ?? '')).toBeLessThanOrEqual(MAX_REJECTED_PAYLOAD_BYTES);
      },
    );

    it('rejects a deep event on a single-event route with 400 and keeps it', async () => {
      const { server, bus } = await collectUnderTest();
      const deep = validEvent('search_result_clicked');
      const res = await post(server, '/v1/events/click', type, deepEventText(deep, 'data', DEPTH));

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ accepted: 0, rejected: [{ index: 0, event_id: deep.event_id, reason: REASON }] });
      expect(bus.events.messages).toHaveLength(0);
      expect(RejectedBatchMessage.parse(decode(bus.rejected.messages[0])).rejected[0]?.reason).toBe(REASON);
    });

    it('answers a body nested 100,000 levels deep with 400 and a reason, never 500', async () => {
      const { server, bus } = await collectUnderTest();
      const res = await post(server, '/v1/events', type, `{"events":${deepArrays(100_000)}}`);

      expect(res.status).toBe(400);
      expect((res.body as CollectResponse).rejected).toEqual([{ index: 0, event_id: null, reason: REASON }]);
      const rows = await storedRejections(bus.rejected.messages[0]);
      expect(rows).toMatchObject([{ event_index: 0, reason: REASON }]);
      expect(Buffer.byteLength(rows[0]?.payload ?? '')).toBeLessThanOrEqual(MAX_REJECTED_PAYLOAD_BYTES);
    });
  });

  it('keeps an event one level within the limit to the schema, which names the field', async () => {
    const { server } = await collectUnderTest();
    // The event is level one, so a field nested to the limit sits at level 2 to 32.
    const res = await post(
      server,
      '/v1/events',
      'application/json',
      `{"events":[${deepEventText(validEvent('product_viewed'), 'data', LIMITS.maxNestingDepth - 1)}]}`,
    );
    expect(res.status).toBe(400);
    expect((res.body as CollectResponse).rejected[0]?.reason).toMatch(/^data: /);
  });

  it('cuts the kept payload of a large rejected event to what a row holds', async () => {
    const { server, bus } = await collectUnderTest();
    const large = validEvent('product_viewed', { padding: 'x'.repeat(MAX_REJECTED_PAYLOAD_BYTES + 1000) });
    const res = await post(server, '/v1/events', 'application/json', JSON.stringify({ events: [large, validEvent('product_viewed')] }));

    expect(res.body).toMatchObject({ accepted: 1, rejected: [{ index: 0, reason: expect.stringMatching(/^event is \d+ bytes/) }] });
    const [rejected] = RejectedBatchMessage.parse(decode(bus.rejected.messages[0])).rejected;
    expect(Buffer.byteLength(rejected?.payload ?? '')).toBe(MAX_REJECTED_PAYLOAD_BYTES);
    expect(rejected?.payload.startsWith(`{"event_id":"${large.event_id as string}"`)).toBe(true);
  });
});
