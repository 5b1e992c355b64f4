import fc from 'fast-check';
import { EVENT_TYPES, type CollectedEvent, type EventType } from '../../functions/events/schema.ts';
import { DAY_MS } from '../../functions/learn/decay.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, product } from './collected.ts';

/** What random shoppers choose from; the pool sizes decide whether maps overflow their top-K. */
export type Catalogue = { skus: string[]; brands: string[]; categories: string[]; dietaryTags: string[] };

const HOUR_MS = 60 * 60 * 1000;

/** Any valid event of `SHOPPER`, at most 60 days before `NOW`, often within the recent-interest hour. */
export function arbitraryEvent(catalogue: Catalogue): fc.Arbitrary<CollectedEvent> {
  const anyProduct = fc
    .tuple(
      fc.constantFrom(...catalogue.skus),
      fc.constantFrom(...catalogue.categories),
      fc.option(fc.constantFrom(...catalogue.brands), { nil: undefined }),
      fc.option(fc.subarray(catalogue.dietaryTags, { maxLength: 3 }), { nil: undefined }),
    )
    .map(([sku, category, brand, tags]) => product(sku, category, brand, tags));
  const quantity = fc.constantFrom(0.5, 1, 2, 3, 6);
  const query = fc.constantFrom('oat milk', '  Oat MILK', 'rye bread', 'café');
  const position = fc.integer({ min: 1, max: 60 });
  const cartValue = fc.constant(10);

  const payloads: Record<EventType, fc.Arbitrary<Record<string, unknown>>> = {
    search_performed: fc.record({
      search_id: fc.constant('search-1'),
      query,
      results_count: fc.nat(100),
      results: fc
        .uniqueArray(fc.tuple(position, fc.option(anyProduct, { nil: undefined })), { maxLength: 5, selector: ([p]) => p })
        .map((shown) =>
          shown.map(([p, seen]) =>
            seen?.brand === undefined
              ? { sku: 'sku-shown', position: p }
              : { sku: seen.sku, position: p, brand: seen.brand, category: seen.category },
          ),
        ),
      personalized: fc.boolean(),
    }),
    search_result_clicked: fc.record({ search_id: fc.constant('search-1'), query, product: anyProduct, position }),
    product_viewed: fc.record({ product: anyProduct }),
    cart_item_added: fc.record({ product: anyProduct, quantity, cart_value: cartValue }),
    cart_item_removed: fc.record({ product: anyProduct, quantity, cart_value: cartValue }),
    cart_item_updated: fc.record({ product: anyProduct, quantity: fc.nat(6), previous_quantity: fc.nat(6), cart_value: cartValue }),
    order_completed: fc.record({
      order_id: fc.constant('order-1'),
      total: fc.constant(10),
      items: fc.array(
        fc.tuple(anyProduct, quantity).map(([p, q]) => ({ ...p, quantity: q })),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    preference_updated: fc.record({
      preference: fc.constantFrom('brand', 'category', 'product', 'dietary_tag'),
      value: fc.constantFrom(...catalogue.brands, ...catalogue.skus.slice(0, 3)),
      action: fc.constantFrom('like', 'dislike', 'reset'),
    }),
  };
  const time = fc
    .oneof(fc.integer({ min: 0, max: 2 * HOUR_MS }), fc.integer({ min: 0, max: 60 * DAY_MS }))
    .map((ago) => new Date(NOW.getTime() - ago));
  return fc.constantFrom(...EVENT_TYPES).chain((type) => fc.tuple(payloads[type], time).map(([data, at]) => collected(type, at, data)));
}
