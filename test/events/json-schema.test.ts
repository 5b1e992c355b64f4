import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderEventsJsonSchema } from '../../functions/events/json-schema.ts';
import { JSON_SCHEMA_PATH } from '../../functions/events/write-json-schema.ts';
import { EVENT_TYPES } from '../../functions/events/schema.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { VALID_DATA, validEvent } from '../support/fixtures.ts';

describe('published JSON Schema', () => {
  it('is current with the zod contract (run `npm run schema` after changing it)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(renderEventsJsonSchema());
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(JSON_SCHEMA_PATH, 'utf8')) as object);

  it('accepts a batch with one valid event of every type', () => {
    const ok = validate({ events: EVENT_TYPES.map((type) => validEvent(type)) });
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  const search = (data: Record<string, unknown>) => validEvent('search_performed', { data: { ...VALID_DATA.search_performed, ...data } });
  const ranked = (position: number, signals: Record<string, unknown>) => ({ position, original_position: position, signals });

  it('accepts a search with the signal values that placed its results, as the server does', () => {
    expect(validate({ events: [search({ ranking: [ranked(1, { brand: 1, price: -0.25 }), ranked(2, {})] })] })).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it.each([
    ['an empty batch', { events: [] }],
    ['a ranking naming an unknown signal', { events: [search({ ranking: [ranked(1, { popularity: 1 })] })] }],
    ['a signal value below −1', { events: [search({ ranking: [ranked(1, { brand: -2 })] })] }],
    [
      'more ranking entries than the limit',
      { events: [search({ ranking: Array.from({ length: LIMITS.maxRankedResults + 1 }, () => ranked(1, {})) })] },
    ],
    ['an unknown type', { events: [validEvent('search_performed', { type: 'nope' })] }],
    [
      'a click at position 0',
      { events: [validEvent('search_result_clicked', { data: { ...VALID_DATA.search_result_clicked, position: 0 } })] },
    ],
    ['a bad event id', { events: [validEvent('product_viewed', { event_id: 'x' })] }],
    ['an extra top-level field', { events: [validEvent('product_viewed')], user_id: 'u' }],
    ['a reserved session id', { events: [validEvent('product_viewed', { session_id: '__session__' })] }],
    [
      'a reserved brand, padded',
      { events: [validEvent('preference_updated', { data: { preference: 'brand', value: ' __brand__ ', action: 'like' } })] },
    ],
    [
      'a label of white space only',
      { events: [validEvent('preference_updated', { data: { preference: 'brand', value: '   ', action: 'like' } })] },
    ],
  ])('rejects %s, as the server does', (_name, body) => {
    expect(validate(body)).toBe(false);
  });

  it.each([
    [
      'a label padded beyond its length, which the server trims',
      { preference: 'brand', value: `${' '.repeat(300)}Oatly `, action: 'like' },
    ],
    ['a key named __proto__ among the experiments, which the server leaves out', null],
  ])('accepts %s, as the server does', (_name, data) => {
    const event = data
      ? validEvent('preference_updated', { data })
      : validEvent('product_viewed', { context: JSON.parse('{"experiments":{"__proto__":"","personalization":"treatment"}}') as unknown });
    expect(validate({ events: [event] })).toBe(true);
  });
});
