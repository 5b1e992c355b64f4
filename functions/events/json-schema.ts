import { z } from 'zod';
import { ClientEvent } from './schema.ts';
import { LIMITS } from './limits.ts';

export const JSON_SCHEMA_ID = 'https://schemas.grocery-learning-loop.dev/events/v1.json';

/** The JSON Schema published for clients, derived from the zod contract (never edited by hand). */
export function eventsJsonSchema(): Record<string, unknown> {
  const event = z.toJSONSchema(ClientEvent, { target: 'draft-2020-12', io: 'input' });
  // Shared parts (Product, Context, …) come out as $defs; hoist them beside the event.
  const { $schema, $defs, ...eventSchema } = event as Record<string, unknown>;
  return {
    $schema,
    $id: JSON_SCHEMA_ID,
    title: 'Shopper events batch',
    description: `Body of POST /v1/events: up to ${LIMITS.maxEventsPerRequest} events and ${LIMITS.maxRequestBytes} bytes per request, ${LIMITS.maxEventBytes} bytes per event.`,
    type: 'object',
    required: ['events'],
    additionalProperties: false,
    properties: {
      events: { type: 'array', minItems: 1, maxItems: LIMITS.maxEventsPerRequest, items: { $ref: '#/$defs/event' } },
    },
    $defs: { ...($defs as Record<string, unknown>), event: eventSchema },
  };
}

export function renderEventsJsonSchema(): string {
  return `${JSON.stringify(eventsJsonSchema(), null, 2)}\n`;
}
