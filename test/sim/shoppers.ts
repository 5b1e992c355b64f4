import type { Catalog, Product, Random } from './catalog.ts';

// The shoppers and their hidden ground truth. This behaviour model was written before any run and is
// not adjusted to make the loop look better. Only the shoppers themselves (their choices) and the
// scorer read the truth; nothing the loop sees is derived from it except through the events they send.

export type Staple = { sku: string; intervalDays: number; lastBoughtAt: number };

export type ShopperTruth = {
  userId: string;
  /** The categories this shopper buys from. */
  categories: string[];
  /** Hidden favourite brand per shopped category. */
  favouriteBrand: Map<string, string>;
  /** How strongly they stick to it: the favourite's pull on their choices, 0.55–0.95. */
  loyalty: number;
  staples: Staple[];
  /** 0 = ignores price, 1 = strongly prefers the cheapest. */
  priceSensitivity: number;
  /** Strict habits: a product without the tag is never chosen where the category offers it. */
  strictTags: string[];
  /** Likes organic: a softer pull. */
  likesOrganic: boolean;
  /** Weekdays they shop on (1 = the first simulated day's weekday), and the hour (UTC) they usually start. */
  shoppingDays: number[];
  hour: number;
};

const DAY_MS = 86_400_000;

/** Whether the shopper would take the product at all: it carries every tag of their strict habits. */
export function acceptable(product: Product, truth: Pick<ShopperTruth, 'strictTags'>): boolean {
  return truth.strictTags.every((tag) => product.dietary_tags.includes(tag));
}

export function buildShoppers(random: Random, catalog: Catalog, count: number, simStartMs: number): ShopperTruth[] {
  const shoppers: ShopperTruth[] = [];
  for (let i = 0; i < count; i++) {
    const strictTags: string[] = [];
    const habit = random.next();
    if (habit < 0.08) strictTags.push('vegan');
    else if (habit < 0.18) strictTags.push('vegetarian');
    if (random.chance(0.07)) strictTags.push('gluten_free');
    const truthTags = { strictTags };
    // Categories where the shopper can find something acceptable at all.
    const possible = catalog.categories.filter((c) => (catalog.byCategory.get(c) ?? []).some((p) => acceptable(p, truthTags)));
    const wanted = random.int(8, 14);
    const categories: string[] = [];
    while (categories.length < Math.min(wanted, possible.length)) {
      const c = random.pick(possible);
      if (!categories.includes(c)) categories.push(c);
    }
    const favouriteBrand = new Map<string, string>();
    for (const c of categories) {
      const brands = [...new Set((catalog.byCategory.get(c) ?? []).filter((p) => acceptable(p, truthTags)).map((p) => p.brand))];
      favouriteBrand.set(c, random.pick(brands));
    }
    const loyalty = 0.55 + random.next() * 0.4;
    const stapleCount = random.int(3, 8);
    const staples: Staple[] = [];
    for (let s = 0; s < stapleCount * 4 && staples.length < stapleCount; s++) {
      const c = random.pick(categories);
      const fav = favouriteBrand.get(c);
      const options = (catalog.byCategory.get(c) ?? []).filter(
        (p) => acceptable(p, truthTags) && (random.chance(loyalty) ? p.brand === fav : true),
      );
      if (options.length === 0) continue;
      const product = random.pick(options);
      if (staples.some((x) => x.sku === product.sku)) continue;
      const intervalDays = random.pick([7, 7, 7, 14, 14, 21, 28]);
      staples.push({ sku: product.sku, intervalDays, lastBoughtAt: simStartMs - random.next() * intervalDays * DAY_MS });
    }
    const perWeek = random.pick([1, 1, 2, 2, 2, 3]);
    const shoppingDays: number[] = [];
    while (shoppingDays.length < perWeek) {
      const d = random.int(1, 7);
      if (!shoppingDays.includes(d)) shoppingDays.push(d);
    }
    shoppers.push({
      userId: `sim-${String(i + 1).padStart(5, '0')}`,
      categories,
      favouriteBrand,
      loyalty,
      staples,
      priceSensitivity: random.next(),
      strictTags,
      likesOrganic: random.chance(0.15),
      shoppingDays: shoppingDays.sort(),
      hour: random.int(7, 20),
    });
  }
  return shoppers;
}

/**
 * Whether the shopper shops on simulated day `day` (0-based): one of their weekdays, and they do not skip
 * it (10%). The first simulated day is the shoppers' Monday whatever the calendar says, so a seed gives
 * the same run on any date.
 */
export function shopsOn(random: Random, truth: ShopperTruth, day: number): boolean {
  // Days of imported history before the first live day are negative.
  const weekday = (((day % 7) + 7) % 7) + 1;
  return truth.shoppingDays.includes(weekday) && !random.chance(0.1);
}

/** Staples that run out before the next trip: bought when at most two days of their interval remain. */
export function dueStaples(truth: ShopperTruth, atMs: number): Staple[] {
  return truth.staples.filter((s) => (atMs - s.lastBoughtAt) / DAY_MS >= s.intervalDays - 2);
}

export type Need = { kind: 'staple'; product: Product } | { kind: 'need'; category: string } | { kind: 'browse'; category: string };

/** What a trip is for: the due staples, one to three other things, and up to two idle searches. */
export function tripNeeds(random: Random, catalog: Catalog, truth: ShopperTruth, atMs: number): Need[] {
  const needs: Need[] = dueStaples(truth, atMs).flatMap((s) => {
    const product = catalog.bySku.get(s.sku);
    return product ? [{ kind: 'staple' as const, product }] : [];
  });
  for (let n = random.int(1, 3); n > 0; n--) needs.push({ kind: 'need', category: random.pick(truth.categories) });
  for (let n = random.int(0, 2); n > 0; n--) needs.push({ kind: 'browse', category: random.pick(truth.categories) });
  return needs;
}

/** The words typed: mostly the category, sometimes with the product's variant or brand. */
export function queryFor(random: Random, need: Need): string {
  if (need.kind !== 'staple') return need.category;
  const roll = random.next();
  const [brand, ...rest] = need.product.name.split(' ');
  const variant = rest[0] ?? '';
  if (roll < 0.7) return need.product.category;
  if (roll < 0.9) return `${variant} ${need.product.category}`;
  return `${brand} ${need.product.category}`;
}

/** How much a product appeals to the shopper, in [0, 1]: the chance of a click once it is looked at. */
export function appeal(truth: ShopperTruth, need: Need, product: Product): number {
  if (!acceptable(product, truth)) return 0;
  if (need.kind === 'staple' && product.sku === need.product.sku) return 0.9;
  let value = 0.08;
  if (truth.favouriteBrand.get(product.category) === product.brand) value += 0.45 * truth.loyalty;
  if (truth.likesOrganic && product.dietary_tags.includes('organic')) value += 0.15;
  value -= 0.15 * truth.priceSensitivity * product.price_position;
  if (need.kind === 'staple') value *= 0.5;
  if (need.kind === 'browse') value *= 0.6;
  return Math.min(1, Math.max(0, value));
}

/** Position bias: the chance the shopper looks at the result at 1-based `position` at all. */
export function examined(position: number): number {
  return 0.95 * 0.85 ** (position - 1);
}

/**
 * The cascade model: the shopper scans top-down and clicks the first examined result that appeals;
 * answers its 1-based position, or null when they leave without clicking.
 */
export function chooseClick(random: Random, truth: ShopperTruth, need: Need, shown: readonly Product[]): number | null {
  for (let i = 0; i < shown.length; i++) {
    const product = shown[i] as Product;
    if (random.chance(examined(i + 1)) && random.chance(appeal(truth, need, product))) return i + 1;
  }
  return null;
}

/** After a click: a need is put in the cart 85% of the time, an idle search's click 30%. */
export function addsToCart(random: Random, need: Need): boolean {
  return random.chance(need.kind === 'browse' ? 0.3 : 0.85);
}
