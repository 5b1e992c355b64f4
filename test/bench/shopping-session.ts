import type { EventType } from '../../functions/events/schema.ts';

// A plausible stream of one shopper's events for the ingest benchmark. Per ten events: one search
// showing ten results, two clicks on it, four product views, two cart adds and one cart update; the
// hundredth is an order. Each search in a stream has its own query, as a shopper filling a basket
// searches for one product after another. What a search costs in click-through counters (one per
// position shown) depends on this mix, so the mix is written down here rather than implied.

const QUERIES = [
  'oat milk',
  'whole milk',
  'sourdough bread',
  'free range eggs',
  'bananas',
  'greek yogurt',
  'cheddar',
  'penne',
  'basmati rice',
  'cherry tomatoes',
  'chicken breast',
  'salmon fillet',
  'coffee beans',
  'green tea',
  'orange juice',
  'butter',
  'olive oil',
  'apples',
  'baby spinach',
  'dark chocolate',
  'peanut butter',
  'muesli',
  'tofu',
  'avocado',
  'potatoes',
  'red onions',
  'garlic',
  'mozzarella',
  'cooked ham',
  'sparkling water',
  'toilet paper',
  'dish soap',
  'dog food',
  'baby wipes',
  'vanilla ice cream',
  'frozen peas',
  'hummus',
  'granola',
  'honey',
  'red lentils',
] as const;
const CATEGORIES = ['dairy', 'dairy-alternatives', 'bakery', 'produce', 'meat', 'fish', 'pantry', 'drinks', 'household', 'frozen'] as const;
const BRANDS = ['Oatly', 'Alpro', 'Barilla', 'Lindt', 'Andechser', 'Bio Company', 'Dr. Oetker', 'Gut & Guenstig'] as const;
const DIETARY = [['vegan'], ['organic'], ['vegan', 'lactose_free'], [], ['gluten_free'], []] as const;

export const RESULTS_PER_SEARCH = 10;
const SLOTS: readonly EventType[] = [
  'search_performed',
  'search_result_clicked',
  'product_viewed',
  'product_viewed',
  'cart_item_added',
  'search_result_clicked',
  'product_viewed',
  'product_viewed',
  'cart_item_added',
  'cart_item_updated',
];

function product(n: number) {
  const dietary = DIETARY[n % DIETARY.length] ?? [];
  return {
    sku: `sku-${n}`,
    name: `Product ${n}`,
    category: CATEGORIES[n % CATEGORIES.length] ?? 'pantry',
    brand: BRANDS[n % BRANDS.length] ?? 'Oatly',
    price: 0.99 + (n % 50) / 10,
    ...(dietary.length ? { dietary_tags: [...dietary] } : {}),
  };
}

/** The `index`-th event of stream `stream`: its type and `data`. */
export function sessionEvent(stream: number, index: number): { type: EventType; data: Record<string, unknown> } {
  const cycle = Math.floor(index / SLOTS.length);
  const queryIndex = (stream + cycle) % QUERIES.length;
  const query = QUERIES[queryIndex] ?? 'oat milk';
  const searchId = `search-${stream}-${cycle}`;
  // Position 1–3 for the first click of a search, 4–6 for the second.
  const clicked = (index % SLOTS.length === 1 ? 1 : 4) + ((stream + cycle) % 3);
  const shown = (position: number) => product(queryIndex * RESULTS_PER_SEARCH + position - 1);
  if (index % 100 === 99) {
    return {
      type: 'order_completed',
      data: {
        order_id: `order-${stream}-${index}`,
        total: 12.47,
        currency: 'EUR',
        items: [1, 2, 3].map((p) => ({ ...shown(p), quantity: p })),
      },
    };
  }
  const type = SLOTS[index % SLOTS.length] ?? 'product_viewed';
  switch (type) {
    case 'search_performed':
      return {
        type,
        data: {
          search_id: searchId,
          query,
          results_count: 120,
          results: Array.from({ length: RESULTS_PER_SEARCH }, (_, i) => ({ sku: shown(i + 1).sku, position: i + 1 })),
          personalized: true,
        },
      };
    case 'search_result_clicked':
      return { type, data: { search_id: searchId, query, product: shown(clicked), position: clicked } };
    case 'cart_item_added':
      return { type, data: { product: shown(clicked), quantity: 1, cart_value: 9.5, search_id: searchId } };
    case 'cart_item_updated':
      return { type, data: { product: shown(clicked), quantity: 2, previous_quantity: 1, cart_value: 11.5 } };
    default:
      return { type: 'product_viewed', data: { product: shown(1 + (index % RESULTS_PER_SEARCH)), search_id: searchId, source: 'search' } };
  }
}
