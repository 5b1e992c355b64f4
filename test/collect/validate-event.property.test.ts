import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRequestScope, createValidateEventStep } from '../../functions/collect/validate-event.ts';
import { correctClockSkew } from '../../functions/events/clock-skew.ts';
import { DEFAULT_TIME_LIMITS, LIMITS } from '../../functions/events/limits.ts';
import { ClientEvent, CollectedEvent, EVENT_TYPES } from '../../functions/events/schema.ts';
import { NOW, VALID_DATA, validEvent, type RawEvent } from '../support/fixtures.ts';

const validate = createValidateEventStep(DEFAULT_TIME_LIMITS);
const scopeFor = (requestBytes: number, routeType?: (typeof EVENT_TYPES)[number]) =>
  createRequestScope({ userId: 'shopper-"1"', receivedAt: NOW, requestBytes, ...(routeType ? { routeType } : {}) });

/** zod's answer, stamped as collect stamps it: what the published event must be. */
function expectedEvent(raw: RawEvent): CollectedEvent {
  const event = ClientEvent.parse(raw);
  const time = correctClockSkew(event.occurred_at, event.sent_at, NOW, DEFAULT_TIME_LIMITS);
  if (!time.ok) throw new Error(time.reason);
  return { ...event, user_id: 'shopper-"1"', received_at: NOW.toISOString(), event_time: time.eventTime.toISOString() };
}

const padding = fc.constantFrom('', ' ', '\t', '\u00a0', '\n ', '\u3000');
/** Valid events whose labels, and other text, may carry white space that zod trims (labels) or keeps (the rest). */
const paddedEvents = fc
  .record({ type: fc.constantFrom(...EVENT_TYPES), before: padding, after: padding, delayMs: fc.constantFrom(0, 1000, 3_600_000) })
  .map(({ type, before, after, delayMs }) => {
    const pad = (text: string) => `${before}${text}${after}`;
    const product = { sku: 'sku-1', name: pad('Oat drink'), category: pad('dairy'), brand: pad('Oatly'), price: 1.5 };
    const data = { ...VALID_DATA[type] };
    if ('product' in data) data.product = product;
    if ('query' in data) data.query = pad('oat milk');
    if (type === 'order_completed') data.items = [{ ...product, quantity: 2 }];
    if (type === 'preference_updated') data.value = pad('Oatly');
    if (type === 'search_performed') data.top_categories = [pad('dairy')];
    return validEvent(type, { data, occurred_at: new Date(NOW.getTime() - delayMs).toISOString(), sent_at: NOW.toISOString() });
  });

describe('validating one event', () => {
  it('publishes exactly zod’s output with the server’s fields, padded labels trimmed and other text kept', () => {
    fc.assert(
      fc.property(paddedEvents, fc.boolean(), (raw, large) => {
        const outcome = validate(raw, 0, scopeFor(large ? LIMITS.maxRequestBytes : 1000));
        if (outcome.kind !== 'accepted') throw new Error(`expected acceptance, got ${JSON.stringify(outcome)}`);
        expect(JSON.parse(outcome.json)).toEqual(expectedEvent(raw));
        expect(CollectedEvent.safeParse(JSON.parse(outcome.json)).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('takes the route’s type on a single-event route, and refuses another', () => {
    const { type: _type, ...untyped } = validEvent('product_viewed');
    const outcome = validate(untyped, 0, scopeFor(1000, 'product_viewed'));
    expect(outcome.kind === 'accepted' && (JSON.parse(outcome.json) as RawEvent).type).toBe('product_viewed');

    const other = validate(validEvent('cart_item_added'), 0, scopeFor(1000, 'product_viewed'));
    expect(other).toMatchObject({
      kind: 'rejected',
      rejected: { reason: 'type "cart_item_added" does not match this route, which takes product_viewed' },
    });
  });

  it('measures a valid event as received, to the byte, when it may pass the limit', () => {
    // Multi-byte text: its UTF-8 is larger than its length, so the bound alone cannot decide.
    const item = { sku: 'sku-1', name: 'é'.repeat(200), category: 'bakery', price: 1, quantity: 1 };
    const big = validEvent('order_completed', { data: { ...VALID_DATA.order_completed, items: Array.from({ length: 90 }, () => item) } });
    const bytes = Buffer.byteLength(JSON.stringify(big));
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(LIMITS.maxEventBytes);
    expect(bytes).toBeGreaterThan(LIMITS.maxEventBytes);

    const outcome = validate(big, 3, scopeFor(LIMITS.maxRequestBytes));
    expect(outcome).toMatchObject({
      kind: 'rejected',
      rejected: { index: 3, reason: `event is ${bytes} bytes; the limit is ${LIMITS.maxEventBytes} bytes` },
    });
  });
});
