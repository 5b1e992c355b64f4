import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../functions/learn/learning-config.ts';
import type { Preferences } from '../../functions/learn/preferences.ts';
import { NOW } from '../support/fixtures.ts';
import { arbitraryEvent, type Catalogue } from './arbitrary-events.ts';
import { SHOPPER } from './collected.ts';

const K = DEFAULT_LEARNING_CONFIG.topK;
/** Events per call: one collect request holds at most 100. */
const PER_CALL = 100;

/** Names padded to `longest` characters where the contract allows that much; 0 keeps them short. */
function catalogue(skus: number, labels: number, tags: number, longest = 0): Catalogue {
  const names = (prefix: string, n: number, max: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}_${i}_`.padEnd(Math.min(longest, max), 'x'));
  return {
    skus: names('sku', skus, 128),
    brands: names('brand', labels, 256),
    categories: names('category', labels, 256),
    dietaryTags: names('tag', tags, 32),
  };
}

/** `count` events of one shopper, learned a request at a time; the largest document seen on the way. */
function learnMany(count: number, from: Catalogue, seed: number): { doc: Preferences; largestBytes: number } {
  const events = fc.sample(arbitraryEvent(from), { numRuns: count, seed });
  let doc = learn(null, SHOPPER, [], NOW);
  let largestBytes = 0;
  for (let i = 0; i < events.length; i += PER_CALL) {
    doc = learn(doc, SHOPPER, events.slice(i, i + PER_CALL), NOW);
    largestBytes = Math.max(largestBytes, JSON.stringify(doc).length);
  }
  return { doc, largestBytes };
}

function sizes(doc: Preferences) {
  const count = (map: object) => Object.keys(map).length;
  return {
    products: count(doc.products),
    brands: count(doc.brands),
    categories: count(doc.categories),
    brandsPerCategory: Math.max(0, ...Object.values(doc.brands_by_category ?? {}).map(count)),
    brandCategories: count(doc.brands_by_category ?? {}),
    dietary: count(doc.dietary),
    recentBrands: count(doc.recent.brands),
    recentCategories: count(doc.recent.categories),
    reorder: count(doc.reorder),
    explicit: count(doc.explicit),
  };
}

describe('a preference document stays bounded', () => {
  it('10,000 events over thousands of products keep every map within its top-K and the document under 200 KB', () => {
    const { doc, largestBytes } = learnMany(10_000, catalogue(5000, 800, 60), 20261126);
    const size = sizes(doc);
    for (const map of Object.keys(K) as (keyof typeof K)[]) expect(size[map], map).toBeLessThanOrEqual(K[map]);
    // The bound is reached, not merely respected by a small input.
    expect(size.products).toBe(K.products);
    expect(largestBytes).toBeLessThan(200 * 1024);
    expect(doc.event_count).toBe(10_000);
  });

  it('stays under half of Firestore’s 1 MiB even when every name is as long as the contract allows', () => {
    const { doc, largestBytes } = learnMany(5_000, catalogue(5000, 800, 60, 256), 7);
    expect(sizes(doc)).toEqual(K);
    expect(largestBytes).toBeLessThan(512 * 1024);
  });
});
