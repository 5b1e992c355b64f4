import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import { currentValue, DAY_MS, scaleToEpoch } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG, type LearningConfig } from '../../functions/learn/learning-config.ts';
import { mergePreferences } from '../../functions/learn/merge.ts';
import { NOW } from '../support/fixtures.ts';
import { differences } from '../support/same-document.ts';
import { arbitraryEvent } from './arbitrary-events.ts';
import { collected, product, SHOPPER } from './collected.ts';

// A visitor's document merged into the shopper's on login must be what learning both event streams into one
// document gives. As in commutativity.property.test.ts, pruning is off and the catalogue small enough that no map
// overflows its top-K: pruning is the one lossy step, of merging as of learning.
const config: LearningConfig = { ...DEFAULT_LEARNING_CONFIG, pruneBelow: 0 };
const catalogue = {
  skus: ['sku-oat-1l', 'sku-soy-1l', 'sku-rye', 'sku-eggs', 'sku-pasta'],
  brands: ['Oatly', 'Alpro', 'Barilla', 'constructor'],
  categories: ['dairy-alternatives', 'bakery', 'eggs', 'pasta'],
  dietaryTags: ['vegan', 'organic', 'gluten_free'],
};
const VISITOR = 'anonymous:visitor-1';
const weightFloor = scaleToEpoch(1, NOW, new Date(config.epoch), config.halfLifeDays);

const as =
  (userId: string) =>
  (event: CollectedEvent): CollectedEvent => ({ ...event, user_id: userId });
const stream = fc.array(arbitraryEvent(catalogue), { maxLength: 20 });

describe('merging a visitor into the shopper', () => {
  it("gives what learning the visitor's and the shopper's events into one document gives", () => {
    fc.assert(
      fc.property(stream, stream, fc.boolean(), (visitorEvents, shopperEvents, shopperHasDocument) => {
        const visitor = learn(null, VISITOR, visitorEvents.map(as(VISITOR)), NOW, config);
        const shopper = shopperHasDocument ? learn(null, SHOPPER, shopperEvents, NOW, config) : null;
        const both = [...(shopperHasDocument ? shopperEvents : []), ...visitorEvents];

        const merged = mergePreferences(visitor, shopper, SHOPPER, NOW, config);

        expect(differences(merged, learn(null, SHOPPER, both, NOW, config), weightFloor)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves both documents as they were', () => {
    const visitor = learn(
      null,
      VISITOR,
      [collected('product_viewed', NOW, { product: product('sku-rye', 'bakery', 'Hovis') }, VISITOR)],
      NOW,
      config,
    );
    const shopper = learn(
      null,
      SHOPPER,
      [collected('product_viewed', NOW, { product: product('sku-rye', 'bakery', 'Hovis') })],
      NOW,
      config,
    );
    const [visitorBefore, shopperBefore] = [structuredClone(visitor), structuredClone(shopper)];

    mergePreferences(visitor, shopper, SHOPPER, NOW, config);

    expect(visitor).toEqual(visitorBefore);
    expect(shopper).toEqual(shopperBefore);
  });

  it("rescales a visitor's weights kept relative to another epoch exactly", () => {
    const viewed = collected('product_viewed', NOW, { product: product('sku-rye', 'bakery') }, VISITOR);
    const laterEpoch = { ...config, epoch: new Date(Date.parse(config.epoch) + 30 * DAY_MS).toISOString() };
    const visitor = learn(null, VISITOR, [viewed], NOW, laterEpoch);
    const shopper = learn(
      null,
      SHOPPER,
      [collected('product_viewed', NOW, { product: product('sku-oat-1l', 'dairy-alternatives') })],
      NOW,
      config,
    );

    const merged = mergePreferences(visitor, shopper, SHOPPER, NOW, config);

    expect(merged.epoch).toBe(config.epoch);
    const expected = learn(shopper, SHOPPER, [as(SHOPPER)(viewed)], NOW, config);
    expect(differences(merged, expected, weightFloor)).toEqual([]);
  });

  it("carries a visitor's weights under another half-life over at their value now", () => {
    const viewed = collected('product_viewed', new Date(NOW.getTime() - 10 * DAY_MS), { product: product('sku-rye', 'bakery') }, VISITOR);
    const visitor = learn(null, VISITOR, [viewed], NOW, { ...config, halfLifeDays: 7 });
    const shopper = learn(null, SHOPPER, [], NOW, config);

    const merged = mergePreferences(visitor, shopper, SHOPPER, NOW, config);

    const epoch = new Date(config.epoch);
    const valueNow = (doc: typeof visitor) =>
      currentValue(doc.products['sku-rye']?.weight ?? NaN, NOW, new Date(doc.epoch), doc.half_life_days);
    expect(merged.half_life_days).toBe(config.halfLifeDays);
    expect(valueNow(merged)).toBeCloseTo(valueNow(visitor), 12);
    expect(currentValue(merged.products['sku-rye']?.weight ?? NaN, NOW, epoch, config.halfLifeDays)).toBeGreaterThan(0);
  });

  it("refuses to merge into another shopper's document", () => {
    const visitor = learn(null, VISITOR, [], NOW, config);
    const someoneElse = learn(null, 'shopper-2', [], NOW, config);
    expect(() => mergePreferences(visitor, someoneElse, SHOPPER, NOW, config)).toThrow(/cannot be merged/);
  });
});
