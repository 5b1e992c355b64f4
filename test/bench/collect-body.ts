import { randomUUID } from 'node:crypto';

/** The collect benchmarks' event: one `search_result_clicked` of about 0.6 KB, as a shop's page sends it. */
export function event(now: string) {
  return {
    event_id: randomUUID(),
    type: 'search_result_clicked',
    session_id: 'bench-session',
    occurred_at: now,
    sent_at: now,
    context: { experiments: { personalization: 'treatment' }, platform: 'web' },
    data: {
      search_id: 'search-1',
      query: 'oat milk',
      position: 2,
      product: {
        sku: 'sku-oat-1l',
        name: 'Oat drink 1 l',
        category: 'dairy-alternatives',
        brand: 'Oatly',
        price: 2.49,
        dietary_tags: ['vegan'],
      },
    },
  };
}
