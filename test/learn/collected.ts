import { ClientEvent, type CollectedEvent, type EventType } from '../../functions/events/schema.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';
import { validEvent } from '../support/fixtures.ts';

export const SHOPPER = 'shopper-1';

/**
 * An accepted event that happened at `eventTime`, as collect hands it on: parsed by the contract,
 * sent one second later and received at once. `data` defaults to the fixture's payload for `type`.
 */
export function collected(type: EventType, eventTime: Date, data?: Record<string, unknown>, userId: string = SHOPPER): CollectedEvent {
  const sentAt = new Date(eventTime.getTime() + 1000);
  const client = ClientEvent.parse(validEvent(type, data === undefined ? {} : { data }, sentAt));
  return { ...client, user_id: userId, received_at: sentAt.toISOString(), event_time: eventTime.toISOString() };
}

export function daysAfter(start: Date, days: number): Date {
  return new Date(start.getTime() + days * DAY_MS);
}

/** A product as the contract lists it; only what learning reads varies. */
export function product(sku: string, category: string, brand?: string, dietaryTags?: string[]): Record<string, unknown> {
  return {
    sku,
    name: `Product ${sku}`,
    category,
    price: 1.99,
    ...(brand === undefined ? {} : { brand }),
    ...(dietaryTags === undefined ? {} : { dietary_tags: dietaryTags }),
  };
}
