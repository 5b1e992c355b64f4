// The simulated shop: a seeded random source, a synthetic grocery catalogue, and the shop's baseline
// search engine (text match and popularity, the same for every shopper: no personalization here).

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export type Random = {
  next: () => number;
  int: (lo: number, hi: number) => number;
  pick: <T>(items: readonly T[]) => T;
  chance: (p: number) => boolean;
};

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(next() * items.length)] as T;
  };
  return { next, int, pick, chance: (p) => next() < p };
}

export type Product = {
  sku: string;
  name: string;
  category: string;
  brand: string;
  price: number;
  /** 0 = cheapest of its category, 1 = dearest. */
  price_position: number;
  dietary_tags: string[];
  /** How well it sells overall: what the baseline engine ranks by after the text match. */
  popularity: number;
};

export type Catalog = {
  products: Product[];
  categories: string[];
  brandsByCategory: Map<string, string[]>;
  byCategory: Map<string, Product[]>;
  bySku: Map<string, Product>;
};

// Category, base price, and the chance a product of it carries each dietary tag.
const CATEGORIES: [string, number, Partial<Record<string, number>>][] = [
  ['milk', 1.2, { lactose_free: 0.2, organic: 0.2 }],
  ['plant milk', 1.9, { vegan: 1, organic: 0.3, gluten_free: 0.5 }],
  ['yoghurt', 1.5, { vegetarian: 0.9, organic: 0.2, lactose_free: 0.15 }],
  ['cheese', 2.8, { vegetarian: 0.6, lactose_free: 0.1 }],
  ['butter', 2.2, { vegetarian: 1, organic: 0.2 }],
  ['eggs', 2.5, { vegetarian: 1, organic: 0.3 }],
  ['bread', 1.6, { vegan: 0.5, gluten_free: 0.15, organic: 0.2 }],
  ['breakfast cereal', 3.0, { vegan: 0.5, gluten_free: 0.2, organic: 0.2 }],
  ['coffee', 4.5, { vegan: 1, organic: 0.3 }],
  ['tea', 2.5, { vegan: 1, organic: 0.3 }],
  ['pasta', 1.3, { vegan: 0.8, gluten_free: 0.2, organic: 0.2 }],
  ['rice', 1.8, { vegan: 1, gluten_free: 1, organic: 0.2 }],
  ['tinned tomatoes', 0.9, { vegan: 1, gluten_free: 1, organic: 0.3 }],
  ['chicken', 5.0, { halal: 0.3, gluten_free: 0.8 }],
  ['minced beef', 4.5, { halal: 0.3, gluten_free: 0.9 }],
  ['sausages', 3.0, { gluten_free: 0.3, vegetarian: 0.2 }],
  ['fish', 5.5, { gluten_free: 0.9 }],
  ['tofu', 2.2, { vegan: 1, gluten_free: 1, organic: 0.4 }],
  ['apples', 2.0, { vegan: 1, gluten_free: 1, organic: 0.3 }],
  ['bananas', 1.1, { vegan: 1, gluten_free: 1, organic: 0.3 }],
  ['tomatoes', 1.8, { vegan: 1, gluten_free: 1, organic: 0.3 }],
  ['salad', 1.2, { vegan: 1, gluten_free: 1, organic: 0.3 }],
  ['potatoes', 1.5, { vegan: 1, gluten_free: 1, organic: 0.2 }],
  ['crisps', 1.5, { vegan: 0.6, gluten_free: 0.5 }],
  ['biscuits', 1.4, { vegetarian: 0.8, vegan: 0.2, gluten_free: 0.15 }],
  ['chocolate', 1.8, { vegetarian: 0.8, vegan: 0.2, organic: 0.15 }],
  ['juice', 2.0, { vegan: 1, gluten_free: 1, organic: 0.2 }],
  ['sparkling water', 0.7, { vegan: 1, gluten_free: 1 }],
  ['beer', 1.8, { vegan: 0.6 }],
  ['wine', 7.0, { vegan: 0.4, organic: 0.2 }],
  ['ice cream', 3.5, { vegetarian: 0.8, vegan: 0.2, lactose_free: 0.1 }],
  ['frozen pizza', 3.2, { vegetarian: 0.5, vegan: 0.1 }],
  ['washing-up liquid', 1.6, { vegan: 0.5 }],
  ['toilet paper', 3.8, {}],
  ['nappies', 8.0, {}],
  ['dog food', 4.0, {}],
];
const VARIANTS = [
  'classic',
  'light',
  'large',
  'small',
  'family pack',
  'extra',
  'original',
  'fresh',
  'smooth',
  'mild',
  'strong',
  'mini',
  'value',
  'finest',
  'everyday',
  'select',
  'farmhouse',
  'rustic',
  'golden',
  'crunchy',
];
const SYLLABLES = [
  'ar',
  'bel',
  'co',
  'da',
  'fen',
  'gro',
  'hal',
  'ix',
  'jo',
  'kel',
  'lu',
  'mor',
  'nor',
  'ol',
  'pra',
  'quin',
  'ros',
  'sol',
  'tev',
  'ul',
  'var',
  'wen',
  'yor',
  'zan',
];

/** About `productsPerCategory × 36` products: each category has its own 5–8 brands, each brand 4–14 products. */
export function buildCatalog(random: Random, productsPerCategory = 80): Catalog {
  const products: Product[] = [];
  const brandsByCategory = new Map<string, string[]>();
  const usedBrands = new Set<string>();
  for (const [category, basePrice, tags] of CATEGORIES) {
    const brandCount = random.int(5, 8);
    const brands: string[] = [];
    while (brands.length < brandCount) {
      const name = `${random.pick(SYLLABLES)}${random.pick(SYLLABLES)}${random.pick(SYLLABLES)}`;
      const brand = name.charAt(0).toUpperCase() + name.slice(1);
      if (usedBrands.has(brand)) continue;
      usedBrands.add(brand);
      brands.push(brand);
    }
    brandsByCategory.set(category, brands);
    const tier = new Map(brands.map((b) => [b, 0.6 + random.next() * 0.9] as const));
    const inCategory: Product[] = [];
    for (let i = 0; i < productsPerCategory; i++) {
      const brand = random.pick(brands);
      const variant = random.pick(VARIANTS);
      const price = Math.round(basePrice * (tier.get(brand) ?? 1) * (0.7 + random.next() * 0.6) * 100) / 100;
      const dietary_tags = Object.entries(tags)
        .filter(([, p]) => random.chance(p ?? 0))
        .map(([tag]) => tag);
      inCategory.push({
        sku: `sku-${products.length + inCategory.length + 1}`,
        name: `${brand} ${variant} ${category}`,
        category,
        brand,
        price,
        price_position: 0,
        dietary_tags,
        popularity: random.next() ** 2,
      });
    }
    const prices = inCategory.map((p) => p.price).sort((a, b) => a - b);
    for (const product of inCategory)
      product.price_position = prices.length > 1 ? prices.indexOf(product.price) / (prices.length - 1) : 0.5;
    products.push(...inCategory);
  }
  const byCategory = new Map<string, Product[]>();
  for (const p of products) byCategory.set(p.category, [...(byCategory.get(p.category) ?? []), p]);
  return {
    products,
    categories: CATEGORIES.map(([c]) => c),
    brandsByCategory,
    byCategory,
    bySku: new Map(products.map((p) => [p.sku, p])),
  };
}

/**
 * The shop's search engine before personalization: products whose name holds every word of the query,
 * by how many of the name's words the query covers, then by popularity. The same answer for everyone.
 */
export function baselineSearch(catalog: Catalog, query: string, limit = 24): Product[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches: { product: Product; score: number }[] = [];
  for (const product of catalog.products) {
    const name = product.name.toLowerCase();
    if (!words.every((w) => name.includes(w))) continue;
    matches.push({ product, score: words.length / name.split(' ').length + product.popularity });
  }
  return matches
    .sort((a, b) => b.score - a.score || (a.product.sku < b.product.sku ? -1 : 1))
    .slice(0, limit)
    .map((m) => m.product);
}
