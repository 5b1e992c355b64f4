import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow } from '../support/warehouse-rows.ts';
import { describeOnBothEngines } from '../support/both-engines.ts';

/**
 * The clicks the weights fit learns from, over [2026-03-01, 2026-03-02):
 *
 * | search | shopper | arm          | ranking logged                                       | clicks that count |
 * | qa     | u1      | control      | 1: none, 2: brand 0.84, 3: product 0.7163            | 2 (twice, and redelivered) |
 * | qb     | u2      | personalized | 1: brand 1                                           | 1: not the control arm |
 * | qc     | u3      | control      | none                                                 | 1: nothing logged to learn from |
 * | qd     | u4      | control      | 1: brand 0.81, 2: brand 0.79                         | 2 at 00:20 next day; u5's click naming qd is not u4's; 1 at 00:45 is too late |
 * | qe     | u6      | control      | swapped: 1: engine's 2nd, brand 0.5; 2: engine's 1st | 1 |
 *
 * So, rounded to one decimal, each in the engine's position but qe's: position 1 with nothing (qa) shown once, never
 * clicked; position 2 with brand 0.8 (qa and qd) shown twice, clicked twice; position 3 with product 0.7 once, not
 * clicked; position 1 with brand 0.8 (qd) once, not clicked; and qe's two, each one place from the engine's: shown 1st
 * but ranked 2nd with brand 0.5, clicked, and shown 2nd but ranked 1st with nothing, not clicked.
 */
const PARAMS = {
  since: new Date('2026-03-01T00:00:00Z'),
  as_of: new Date('2026-03-02T00:00:00Z'),
  personalization_experiment: 'personalization',
  control_arm: 'control',
};

const search = (
  eventId: string,
  userId: string,
  searchId: string,
  arm: string,
  ranking: { position: number; original_position?: number; signals: Record<string, number> }[] | null,
): SqlRow =>
  eventsRow({
    event_id: eventId,
    type: 'search_performed',
    user_id: userId,
    event_time: '2026-03-01T10:00:00Z',
    search_id: searchId,
    query: 'milk',
    personalized: arm === 'personalized',
    experiments: JSON.stringify({ personalization: arm }),
    data: JSON.stringify({
      results: [1, 2, 3].map((position) => ({ sku: `sku-${position}`, position })),
      ...(ranking === null ? {} : { ranking: ranking.map((r) => ({ ...r, original_position: r.original_position ?? r.position })) }),
    }),
  });
const click = (eventId: string, userId: string, searchId: string, at: string, position: number): SqlRow =>
  eventsRow({
    event_id: eventId,
    type: 'search_result_clicked',
    user_id: userId,
    event_time: at,
    search_id: searchId,
    position,
    sku: `sku-${position}`,
  });

const EVENTS: SqlRow[] = [
  search('ea', 'u1', 'qa', 'control', [
    { position: 1, signals: {} },
    { position: 2, signals: { brand: 0.84 } },
    { position: 3, signals: { product: 0.7163 } },
  ]),
  search('ea', 'u1', 'qa', 'control', [
    { position: 1, signals: {} },
    { position: 2, signals: { brand: 0.84 } },
    { position: 3, signals: { product: 0.7163 } },
  ]),
  click('ca1', 'u1', 'qa', '2026-03-01T10:01:00Z', 2),
  click('ca2', 'u1', 'qa', '2026-03-01T10:02:00Z', 2),
  search('eb', 'u2', 'qb', 'personalized', [{ position: 1, signals: { brand: 1 } }]),
  click('cb', 'u2', 'qb', '2026-03-01T10:01:00Z', 1),
  search('ec', 'u3', 'qc', 'control', null),
  click('cc', 'u3', 'qc', '2026-03-01T10:01:00Z', 1),
  search('ed', 'u4', 'qd', 'control', [
    { position: 1, signals: { brand: 0.81 } },
    { position: 2, signals: { brand: 0.79 } },
  ]),
  click('cd1', 'u4', 'qd', '2026-03-02T00:20:00Z', 2),
  click('cd2', 'u5', 'qd', '2026-03-01T10:01:00Z', 1),
  click('cd3', 'u4', 'qd', '2026-03-02T00:45:00Z', 1),
  search('ee', 'u6', 'qe', 'control', [
    { position: 1, original_position: 2, signals: { brand: 0.5 } },
    { position: 2, original_position: 1, signals: {} },
  ]),
  click('ce', 'u6', 'qe', '2026-03-01T10:01:00Z', 1),
];
// The redelivered row of ea is the same event: DuckDB's key keeps one, BigQuery keeps both and the query one.
const TABLES = { events: EVENTS, order_items: [] };

const group = (position: number, values: Record<string, number>, shown: number, clicked: number, original = position): SqlRow => ({
  position,
  original_position: original,
  product: 0,
  brand: 0,
  category: 0,
  reorder_due: 0,
  recent: 0,
  dietary: 0,
  price: 0,
  promotion: 0,
  explicit: 0,
  ...values,
  shown,
  clicked,
});
const EXPECTED = [
  group(1, {}, 1, 0),
  group(2, { brand: 0.8 }, 2, 2),
  group(3, { product: 0.7 }, 1, 0),
  group(1, { brand: 0.8 }, 1, 0),
  group(1, { brand: 0.5 }, 1, 1, 2),
  group(2, {}, 1, 0, 1),
];
const KEYS = ['position', 'original_position', 'product', 'brand'];

describeOnBothEngines(
  'ranking_click_counts.sql',
  'counts the control arm’s shown results and clicks by shown and engine position and signal values',
  {
    tables: TABLES,
    params: PARAMS,
    expected: EXPECTED,
    keys: KEYS,
  },
);
