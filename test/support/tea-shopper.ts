import type { Catalog, Product } from '../sim/catalog.ts';
import type { ShopperTruth } from '../sim/shoppers.ts';

/** A catalogue of exactly these products, indexed as `buildCatalog` indexes its own. */
export function catalogOf(products: Product[]): Catalog {
  const byCategory = new Map<string, Product[]>();
  for (const p of products) byCategory.set(p.category, [...(byCategory.get(p.category) ?? []), p]);
  const brandsByCategory = new Map([...byCategory].map(([c, ps]) => [c, [...new Set(ps.map((p) => p.brand))]]));
  return { products, categories: [...byCategory.keys()], brandsByCategory, byCategory, bySku: new Map(products.map((p) => [p.sku, p])) };
}

/** A simulated shopper who buys tea, loyal to Acorn, with no other habit unless `overrides` give one. */
export function teaShopper(overrides: Partial<ShopperTruth> = {}): ShopperTruth {
  return {
    userId: 'sim-00001',
    categories: ['tea'],
    favouriteBrand: new Map([['tea', 'Acorn']]),
    loyalty: 1,
    staples: [],
    priceSensitivity: 0,
    strictTags: [],
    likesOrganic: false,
    shoppingDays: [1],
    hour: 9,
    ...overrides,
  };
}
