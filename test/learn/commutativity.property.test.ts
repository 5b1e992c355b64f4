import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { scaleToEpoch } from '../../functions/learn/decay.ts';
import { emptyPreferences, learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from '../../functions/learn/learning-config.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { NOW } from '../support/fixtures.ts';
import { arbitraryEvent } from './arbitrary-events.ts';
import { SHOPPER } from './collected.ts';
import { differences } from '../support/same-document.ts';

/**
 * Pruning is the one step where order can matter: an entry dropped (past its map's top-K, or faded
 * below `pruneBelow`) and then given more evidence restarts from that evidence alone. So the
 * catalogue is small enough that no map reaches its K, and the threshold is off; `now` is shared.
 * The recent-interest window stays on: a latest time against a fixed `now` commutes.
 */
const config: LearningConfig = { ...DEFAULT_LEARNING_CONFIG, pruneBelow: 0 };
const catalogue = {
  skus: ['sku-oat-1l', 'sku-soy-1l', 'sku-rye', 'sku-eggs', 'sku-pasta'],
  brands: ['Oatly', 'Alpro', 'Barilla', 'constructor'],
  categories: ['dairy-alternatives', 'bakery', 'eggs', 'pasta'],
  dietaryTags: ['vegan', 'organic', 'gluten_free'],
};
const weightFloor = scaleToEpoch(1, NOW, new Date(config.epoch), config.halfLifeDays);

const scenario = fc.array(arbitraryEvent(catalogue), { maxLength: 25 }).chain((events) =>
  fc.record({
    events: fc.constant(events),
    shuffled: fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
    cutAfter: fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
  }),
);

/** `events` learned in consecutive calls, a new call starting after each event marked in `cutAfter`. */
function learnInCalls(events: readonly CollectedEvent[], cutAfter: readonly boolean[]): Preferences {
  let doc = emptyPreferences(SHOPPER, config);
  let start = 0;
  for (let i = 0; i < events.length; i += 1) {
    if (cutAfter[i] === true || i === events.length - 1) {
      doc = learn(doc, SHOPPER, events.slice(start, i + 1), NOW, config);
      start = i + 1;
    }
  }
  return doc;
}

describe('learning commutes', () => {
  it('the same events in one call, in any order, or split into any calls give the same document', () => {
    fc.assert(
      fc.property(scenario, ({ events, shuffled, cutAfter }) => {
        const once = learn(null, SHOPPER, events, NOW, config);
        expect(differences(learn(null, SHOPPER, shuffled, NOW, config), once, weightFloor)).toEqual([]);
        expect(differences(learnInCalls(shuffled, cutAfter), once, weightFloor)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
