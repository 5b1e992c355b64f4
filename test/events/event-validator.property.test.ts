import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderEventValidator } from '../../functions/events/compile-event-validator.ts';
import { matchesEventSchema } from '../../functions/events/event-validator.ts';
import { LIMITS } from '../../functions/events/limits.ts';
import { ClientEvent, EVENT_TYPES } from '../../functions/events/schema.ts';
import { EVENT_VALIDATOR_PATH } from '../../functions/events/write-json-schema.ts';
import { VALID_DATA, validEvent, type RawEvent } from '../support/fixtures.ts';

// Collect's hot path takes the compiled validator's word that an event is valid, so it must accept and reject
// exactly what zod does: the inputs below go after every place the two could part (trimming, reserved names,
// lengths in UTF-16 units, numbers JSON cannot hold, dates, unknown fields, wrong types, deep nesting).

const WHITE_SPACE = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u2028', '\u202f', '\u3000', '\ufeff'];
/** Look like white space to some, not to `trim`: a next line, a Mongolian vowel separator, a zero-width space. */
const NOT_WHITE_SPACE = ['\u0085', '\u180e', '\u200b'];
const CHARACTERS = ['a', 'Z', '_', 'é', '€', '😀', '\ud800', '-', '.', ...WHITE_SPACE, ...NOT_WHITE_SPACE];
const LENGTHS = [LIMITS.maxIdLength, LIMITS.maxLabelLength, LIMITS.maxQueryLength, LIMITS.maxTextLength, 35, 64].flatMap((n) => [
  n - 1,
  n,
  n + 1,
]);

/** Strings at and around every length limit, of characters that count once or twice, padded or not. */
const edgeStrings = fc
  .record({
    length: fc.oneof(fc.constantFrom(0, 1, 2, ...LENGTHS), fc.nat({ max: 40 })),
    character: fc.constantFrom(...CHARACTERS),
    pad: fc.constantFrom('', ' ', '\u00a0', '\n\t', '\u3000\ufeff'),
    padEnd: fc.boolean(),
  })
  .map(
    ({ length, character, pad, padEnd }) =>
      `${pad}${character.repeat(Math.ceil(length / character.length)).slice(0, length)}${padEnd ? pad : ''}`,
  );

/** Names of the form __x__ that zod reserves, and near misses: padded, across a line break, too short. */
const reservedNames = fc
  .tuple(fc.constantFrom('__x__', '____', '___', '__a\nb__', '__ __', '_x_', '__x_', 'x__y__'), fc.constantFrom('', ' ', '\t', '\u00a0'))
  .map(([name, pad]) => `${pad}${name}${pad}`);

const numbers = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    1000,
    1000.0001,
    1001,
    1_000_000,
    1_000_000.01,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    1e300,
    Infinity,
    -Infinity,
    NaN,
    5e-324,
  ),
  fc.double(),
  fc.integer(),
);

/** RFC 3339 texts and near misses: other offsets, no seconds, no zone, lower case, impossible days, padding. */
const timestamps = fc
  .tuple(
    fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
    fc.nat({ max: 11 }),
  )
  .map(([date, variant]) => {
    const iso = date.toISOString();
    return [
      iso,
      iso.replace('Z', '+01:00'),
      iso.replace('Z', '-23:59'),
      iso.replace('Z', '+24:00'),
      iso.replace(/\.\d+Z$/, 'Z'),
      iso.replace(/:\d\d\.\d+Z$/, 'Z'),
      iso.replace('Z', ''),
      iso.toLowerCase(),
      ` ${iso}`,
      iso.replace(/^\d{4}-\d\d-\d\d/, '2023-02-29'),
      iso.replace(/^\d{4}-\d\d-\d\d/, '2024-02-29'),
      iso.replace(/T\d\d/, 'T24'),
    ][variant] as string;
  });

const uuids = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '123e4567-e89b-02d3-a456-426614174000',
    '123e4567-e89b-12d3-c456-426614174000',
    '123e4567e89b12d3a456426614174000',
  ),
);

/** `levels` arrays inside each other: built by JSON.parse, as no recursive builder could. */
const deepValues = fc.integer({ min: 1, max: 5000 }).map((levels) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown);

const otherValues = fc.constantFrom(
  ...EVENT_TYPES,
  'page_viewed',
  'EUR',
  'eur',
  'EURO',
  '2026-11-28',
  '2026-02-30',
  'web',
  'WEB',
  'like',
  'brand',
  'vegan',
  'gluten_free',
  'Vegan',
  'search',
  null,
  true,
  false,
  {},
  [],
  [1],
  ['vegan'],
  { sku: 'sku-1', position: 1 },
  { personalization: 'treatment' },
);

const nastyValues: fc.Arbitrary<unknown> = fc.oneof(
  edgeStrings,
  reservedNames,
  numbers,
  timestamps,
  uuids,
  deepValues,
  otherValues,
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

type Mutation = { path: (string | number)[]; change: 'set' | 'delete' | 'add'; key: string; value: unknown };

/** Every place in `value` a mutation can reach: the event itself, and each object or array within its first levels. */
function containers(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null || path.length > 6) return [];
  const children = Object.entries(value).flatMap(([key, child]) => containers(child, [...path, Array.isArray(value) ? Number(key) : key]));
  return [path, ...children];
}

function mutate(
  event: RawEvent,
  mutations: { pick: number; childPick: number; change: Mutation['change']; key: string; value: unknown }[],
): RawEvent {
  const copy = structuredClone(event);
  for (const { pick, childPick, change, key, value } of mutations) {
    const places = containers(copy);
    let target: Record<string | number, unknown> = copy;
    for (const step of places[pick % places.length] ?? []) target = target[step] as Record<string | number, unknown>;
    const keys = Object.keys(target);
    const existing = keys[childPick % Math.max(1, keys.length)];
    const place = change === 'add' || existing === undefined ? (Array.isArray(target) ? String(target.length) : key) : existing;
    // As JSON.parse does: a key named __proto__ is an own field, never the object's prototype.
    if (change === 'delete' && existing !== undefined) delete target[existing];
    else Object.defineProperty(target, place, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

const mutations = fc.array(
  fc.record({
    pick: fc.nat(),
    childPick: fc.nat(),
    change: fc.constantFrom<Mutation['change']>('set', 'set', 'set', 'delete', 'add'),
    key: fc.oneof(fc.constantFrom('user_id', 'extra', '__proto__', 'constructor', 'type'), fc.string({ unit: 'binary', maxLength: 8 })),
    value: nastyValues,
  }),
  { minLength: 0, maxLength: 3 },
);

/** A search with the signal values that placed its results: the fixture's search has none. */
const RANKED_SEARCH = validEvent('search_performed', {
  data: {
    ...VALID_DATA.search_performed,
    ranking: [
      { position: 1, original_position: 2, signals: { brand: 1, price: -0.25 } },
      { position: 2, original_position: 1, signals: {} },
    ],
  },
});

const events = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(fc.constantFrom(...EVENT_TYPES), mutations).map(([type, changes]) => mutate(validEvent(type), changes) as unknown),
  },
  { weight: 2, arbitrary: mutations.map((changes) => mutate(RANKED_SEARCH, changes) as unknown) },
  { weight: 1, arbitrary: nastyValues },
  { weight: 1, arbitrary: fc.jsonValue({ stringUnit: 'binary' }) },
);

describe('the compiled event validator', () => {
  it('is the one `npm run schema` compiles from the published schema', () => {
    expect(readFileSync(EVENT_VALIDATOR_PATH, 'utf8')).toBe(renderEventValidator());
  });

  it('accepts and rejects exactly the events zod accepts and rejects', () => {
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(events, (event) => {
        const zod = ClientEvent.safeParse(event).success;
        seen[zod ? 'accepted' : 'rejected'] += 1;
        expect(matchesEventSchema(event)).toBe(zod);
      }),
      { numRuns: 5_000 },
    );
    // Both sides of the line are exercised, not only one.
    expect(seen.accepted).toBeGreaterThan(500);
    expect(seen.rejected).toBeGreaterThan(500);
  });

  it.each([
    ['signal values at both ends of their range', { brand: 1, explicit: -1, price: 0 }, true],
    ['a signal value just beyond 1', { brand: 1.0000001 }, false],
    [
      'a signal named __proto__ (zod passes over it, as any map key of that name)',
      JSON.parse('{"__proto__": 5, "brand": 0.5}') as RawEvent,
      true,
    ],
    ['an unknown signal', { popularity: 0.5 }, false],
    ['a signal value of null', { brand: null }, false],
  ])('agrees with zod on a ranking with %s', (_name, signals, valid) => {
    const event = validEvent('search_performed', {
      data: { ...VALID_DATA.search_performed, ranking: [{ position: 1, original_position: 1, signals }] },
    });
    expect(ClientEvent.safeParse(event).success).toBe(valid);
    expect(matchesEventSchema(event)).toBe(valid);
  });

  it.each([
    ['a label padded with white space', { name: '  Oat drink  ' }, true],
    ['a label of white space only', { name: ' \u00a0 ' }, false],
    ['a label of 256 characters between padding', { name: ` ${'a'.repeat(256)}\n` }, true],
    ['a label of 257 characters', { name: 'a'.repeat(257) }, false],
    ['a label of 256 emoji (zod and JSON Schema count code points)', { name: '😀'.repeat(256) }, true],
    ['a label of 257 emoji', { name: '😀'.repeat(257) }, false],
    ['a reserved label, padded', { name: ' __name__ ' }, false],
    ['a reserved sku', { sku: '__sku__' }, false],
    ['a price of Infinity (1e999 in JSON)', { price: Infinity }, false],
  ])('agrees with zod on %s', (_name, productChange, valid) => {
    const event = validEvent('product_viewed', {
      data: { product: { sku: 'sku-1', name: 'Oat drink', category: 'dairy', price: 1, ...productChange } },
    });
    expect(ClientEvent.safeParse(event).success).toBe(valid);
    expect(matchesEventSchema(event)).toBe(valid);
  });
});
