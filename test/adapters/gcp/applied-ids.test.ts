import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLIED_ID_BYTES, APPLIED_IDS_LIMIT, appliedIdOf, appliedIds } from '../../../functions/adapters/gcp/applied-ids.ts';
import { NOW } from '../../support/fixtures.ts';

const DAY_MS = 86_400_000;
const TTL_MS = 8 * DAY_MS;
const now = NOW.getTime();

/** `count` distinct ids, as a store marks them. */
const idsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => appliedIdOf(`${prefix}-${i}`));

describe('the applied ids a preference document keeps', () => {
  it('knows exactly the ids marked, before and after they are stored and read back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 60 }), fc.nat(), (eventIds, split) => {
        const [marked, unmarked] = [eventIds.slice(0, split % eventIds.length), eventIds.slice(split % eventIds.length)];
        const ids = appliedIds(undefined);
        for (const id of marked) ids.add(appliedIdOf(id), now + TTL_MS);
        const readBack = appliedIds(ids.toStored(now).value);
        for (const known of [ids, readBack]) {
          for (const id of marked) expect(known.has(appliedIdOf(id))).toBe(true);
          for (const id of unmarked) expect(known.has(appliedIdOf(id))).toBe(false);
        }
      }),
    );
  });

  it('takes an id marked earlier in the same call for a repeat', () => {
    const ids = appliedIds(undefined);
    const [id] = idsOf('repeat', 1) as [Buffer];
    expect(ids.has(id)).toBe(false);
    ids.add(id, now + TTL_MS);
    expect(ids.has(id)).toBe(true);
  });

  it('never finds an id across the boundary of two stored ids', () => {
    const [a, b] = idsOf('pair', 2) as [Buffer, Buffer];
    const straddling = Buffer.concat([a.subarray(4), b.subarray(0, 4)]);
    const ids = appliedIds({ '1': Buffer.concat([a, b]) });
    expect(ids.has(a) && ids.has(b)).toBe(true);
    expect(ids.has(straddling)).toBe(false);
  });

  it('keeps each id until the end of the day its mark runs out, then drops that day', () => {
    const ids = appliedIds(undefined);
    const [id] = idsOf('expiring', 1) as [Buffer];
    ids.add(id, now + TTL_MS);
    const day = Math.floor((now + TTL_MS) / DAY_MS) + 1;
    expect(Object.keys(ids.toStored(now + TTL_MS).value)).toEqual([String(day)]);
    expect(ids.toStored(day * DAY_MS - 1).value).toEqual({ [String(day)]: id });
    expect(ids.toStored(day * DAY_MS)).toEqual({ value: {}, forgotten: 0 });
  });

  it(`keeps at most ${APPLIED_IDS_LIMIT} ids, forgetting the oldest first and counting them`, () => {
    const older = idsOf('older', 1000);
    const newer = idsOf('newer', APPLIED_IDS_LIMIT - 10);
    const ids = appliedIds(undefined);
    for (const id of older) ids.add(id, now + TTL_MS - DAY_MS);
    for (const id of newer) ids.add(id, now + TTL_MS);
    const { value, forgotten } = ids.toStored(now);
    expect(forgotten).toBe(990);
    const kept = appliedIds(value);
    expect(Object.values(value).reduce((n, bytes) => n + bytes.length, 0)).toBe(APPLIED_IDS_LIMIT * APPLIED_ID_BYTES);
    expect(newer.every((id) => kept.has(id))).toBe(true);
    expect(older.slice(990).every((id) => kept.has(id))).toBe(true);
    expect(older.slice(0, 990).some((id) => kept.has(id))).toBe(false);
  });

  it('takes in another document’s ids, each for as long as it was kept there, once', () => {
    const [mine, theirs, both] = idsOf('merge', 3) as [Buffer, Buffer, Buffer];
    const ids = appliedIds({ '30': Buffer.concat([mine, both]) });
    ids.addStored({ '32': Buffer.concat([theirs, both]) });
    expect(ids.has(theirs)).toBe(true);
    expect(ids.toStored(29 * DAY_MS).value).toEqual({ '30': Buffer.concat([mine, both]), '32': theirs });
  });

  it('reads a field it does not recognise, or a day that is not one, as nothing applied', () => {
    const [id] = idsOf('odd', 1) as [Buffer];
    for (const field of [null, 'x', 7, [id], { soon: id }, { '3': 'text' }]) expect(appliedIds(field).has(id)).toBe(false);
    // A stored value cut short keeps its whole ids only.
    expect(appliedIds({ '3': Buffer.concat([id, id.subarray(0, 3)]) }).has(id)).toBe(true);
  });
});

describe('docs/learning.md', () => {
  it('states the bound of applied ids, and the events a day it allows over the default 8 days, from their home', () => {
    const page = readFileSync('docs/learning.md', 'utf8');
    const format = (n: number) => n.toLocaleString('en-US');
    expect(page).toContain(
      `at most \`APPLIED_IDS_LIMIT\`, ${format(APPLIED_IDS_LIMIT)} ids (${format(APPLIED_IDS_LIMIT * APPLIED_ID_BYTES)} bytes)`,
    );
    expect(page).toContain(`**${format(APPLIED_IDS_LIMIT / 8)} events a`);
  });
});
