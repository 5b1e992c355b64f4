import { z } from 'zod';
import { ClientEvent, JSON_SCHEMA_AMENDMENTS } from './schema.ts';
import { LIMITS } from './limits.ts';

export const JSON_SCHEMA_ID = 'https://schemas.grocery-learning-loop.dev/events/v1.json';

/** The JSON Schema published for clients, derived from the zod contract (never edited by hand). */
export function eventsJsonSchema(): Record<string, unknown> {
  const event = z.toJSONSchema(ClientEvent, { target: 'draft-2020-12', io: 'input', override: amend });
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

function amend(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  if ((ctx.zodSchema as z.ZodType)._zod.def.type === 'record') skipPrototypeKey(ctx.jsonSchema);
  const amendment = JSON_SCHEMA_AMENDMENTS.get(ctx.zodSchema as z.ZodType);
  if (!amendment) return;
  for (const [key, value] of Object.entries(amendment)) {
    if (value === undefined) delete ctx.jsonSchema[key];
    else ctx.jsonSchema[key] = value;
  }
}

/**
 * zod passes over a key named `__proto__` in a map, whatever its value (writing it would replace the prototype of the
 * map it builds), and leaves it out; the schema says the same. A pattern, as validators (ajv among them) ignore
 * `properties.__proto__`.
 */
function skipPrototypeKey(json: Record<string, unknown>): void {
  json.patternProperties = { '^__proto__$': {} };
  json.propertyNames = { anyOf: [{ const: '__proto__' }, json.propertyNames ?? {}] };
}
