import { describe, expect, it } from 'vitest';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { learn } from '../../functions/learn/learn.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, SHOPPER } from './collected.ts';

const EARLIER = new Date('2026-11-20T10:00:00.000Z');
const LATER = new Date('2026-11-21T10:00:00.000Z');

function statement(action: 'like' | 'dislike' | 'reset', at: Date): CollectedEvent {
  return collected('preference_updated', at, { preference: 'brand', value: 'Oatly', action });
}

/** The explicit record for `brand:Oatly`, learned in one call, in reverse, and one event per call. */
function learnedEveryWay(events: CollectedEvent[]) {
  const together = learn(null, SHOPPER, events, NOW);
  const reversed = learn(null, SHOPPER, [...events].reverse(), NOW);
  const oneByOne = [...events].reverse().reduce<ReturnType<typeof learn> | null>((doc, event) => learn(doc, SHOPPER, [event], NOW), null);
  return [together, reversed, oneByOne].map((doc) => doc?.explicit['brand:Oatly']);
}

describe('explicit preferences', () => {
  it('like, then reset: the reset is kept, whichever arrives first', () => {
    const expected = { action: 'reset', at: LATER.toISOString() };
    expect(learnedEveryWay([statement('like', EARLIER), statement('reset', LATER)])).toEqual([expected, expected, expected]);
  });

  it('reset, then like: the like holds, whichever arrives first', () => {
    const expected = { action: 'like', at: LATER.toISOString() };
    expect(learnedEveryWay([statement('reset', EARLIER), statement('like', LATER)])).toEqual([expected, expected, expected]);
  });

  it('a late-arriving older statement never overrides a newer one already stored', () => {
    const stored = learn(null, SHOPPER, [statement('dislike', LATER)], NOW);
    expect(learn(stored, SHOPPER, [statement('like', EARLIER)], NOW).explicit['brand:Oatly']).toEqual({
      action: 'dislike',
      at: LATER.toISOString(),
    });
  });

  it('on a tie to the millisecond the more cautious statement wins, in any order', () => {
    const expected = { action: 'dislike', at: LATER.toISOString() };
    expect(learnedEveryWay([statement('like', LATER), statement('dislike', LATER)])).toEqual([expected, expected, expected]);
    const reset = { action: 'reset', at: LATER.toISOString() };
    expect(learnedEveryWay([statement('like', LATER), statement('reset', LATER)])).toEqual([reset, reset, reset]);
  });

  it('keys statements by what they are about, so a brand and a category of the same name stay apart', () => {
    const doc = learn(
      null,
      SHOPPER,
      [statement('like', EARLIER), collected('preference_updated', EARLIER, { preference: 'category', value: 'Oatly', action: 'dislike' })],
      NOW,
    );
    expect(Object.keys(doc.explicit).sort()).toEqual(['brand:Oatly', 'category:Oatly']);
    expect(doc.categories.Oatly?.signals).toEqual({ explicit: 1 });
  });
});
