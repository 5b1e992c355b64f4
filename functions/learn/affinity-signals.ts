import type { CollectedEvent, OrderItem, ProductRef, SearchResult } from '../events/schema.ts';
import type { LearningSignals } from '../kernel/signal-weights.ts';
import type { LearningConfig } from './learning-config.ts';
import type { SignalKind } from './preferences.ts';

export type AffinityMap = 'products' | 'brands' | 'categories' | 'dietary';

/**
 * One piece of evidence from one event, before scaling to the epoch; negative lowers interest. A brand's
 * signal from a product carries the product's category: the brand is learned per category too.
 */
export type AffinitySignal = { map: AffinityMap; key: string; kind: SignalKind; signal: number; category?: string };

const EXPLICIT_MAP = { product: 'products', brand: 'brands', category: 'categories', dietary_tag: 'dietary' } as const;

/** What one event says about the shopper's affinities, per the signal table of `LearningConfig`. */
export function affinitySignals(event: CollectedEvent, config: LearningConfig): AffinitySignal[] {
  const { signals } = config;
  switch (event.type) {
    case 'search_performed':
      return shownSignals(event.data.results, config);
    case 'product_viewed':
      return productSignals(event.data.product, 'view', signals.view, 1);
    case 'search_result_clicked':
      return productSignals(event.data.product, 'click', signals.click, 1);
    case 'cart_item_added':
      return productSignals(event.data.product, 'cart_add', signals.cart_add, 1);
    case 'cart_item_removed':
      return productSignals(event.data.product, 'cart_remove', signals.cart_remove, 1);
    case 'cart_item_updated': {
      const { product, quantity, previous_quantity: previous } = event.data;
      if (quantity > previous) return productSignals(product, 'cart_add', signals.cart_add, (quantity - previous) / quantity);
      if (quantity < previous) return productSignals(product, 'cart_remove', signals.cart_remove, (previous - quantity) / previous);
      return [];
    }
    case 'order_completed':
      return orderedProducts(event.data.items).flatMap(({ item }) => productSignals(item, 'order', signals.order, 1));
    case 'preference_updated':
      // Counted so the shopper sees why, but weightless: a statement is a rule kept in `explicit`, not
      // evidence that should fade, and a later reset must undo it, which no sum can do in any order.
      return [{ map: EXPLICIT_MAP[event.data.preference], key: event.data.value, kind: 'explicit', signal: 0 }];
  }
}

/**
 * What a search showed, among its first `shownDepth` results: each brand, in its category, at the strength of being
 * shown scaled by the chance it was looked at, 1 / position. A shopper who takes none of a brand shown at the top,
 * search after search, is not looking for it; where the sender left out brands and categories, nothing is learned.
 */
function shownSignals(results: readonly SearchResult[], config: LearningConfig): AffinitySignal[] {
  const strength = config.signals.shown.brand;
  if (strength === 0) return [];
  return results.flatMap(({ position, brand, category }) =>
    brand !== undefined && category !== undefined && position <= config.shownDepth
      ? [{ map: 'brands' as const, key: brand, kind: 'shown' as const, signal: strength / position, category }]
      : [],
  );
}

/** An order's items, one per SKU: a SKU on two lines is one product bought once, in their summed quantity. */
export function orderedProducts(items: readonly OrderItem[]): { item: OrderItem; quantity: number }[] {
  const bySku = new Map<string, { item: OrderItem; quantity: number }>();
  for (const item of items) {
    const seen = bySku.get(item.sku);
    bySku.set(item.sku, { item: seen?.item ?? item, quantity: (seen?.quantity ?? 0) + item.quantity });
  }
  return [...bySku.values()];
}

function productSignals(product: ProductRef, kind: SignalKind, weights: LearningSignals, share: number): AffinitySignal[] {
  const signals: AffinitySignal[] = [
    { map: 'products', key: product.sku, kind, signal: weights.product * share },
    { map: 'categories', key: product.category, kind, signal: weights.category * share },
  ];
  if (product.brand !== undefined)
    signals.push({ map: 'brands', key: product.brand, kind, signal: weights.brand * share, category: product.category });
  for (const tag of new Set(product.dietary_tags)) signals.push({ map: 'dietary', key: tag, kind, signal: weights.dietary * share });
  // A zero weight means this kind of event says nothing about that map, so no entry is created.
  return signals.filter((s) => s.signal !== 0);
}
