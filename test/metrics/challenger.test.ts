import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { eventsRow } from '../support/warehouse-rows.ts';
import { describeOnBothEngines } from '../support/both-engines.ts';

/**
 * A trial of ranking weights, `weights.fit-20260329`, over the day 2026-03-01:
 *
 * | arm        | searches (best position clicked)            | clicked     | reciprocal rank        |
 * | challenger | c1 (1), c2 (2), c3 (none), c4 (1)            | 1, 1, 0, 1  | 1, 0.5, 0, 1           |
 * | current    | k1 (2), k2 (none; its click came a day late) | 1, 0        | 0.5, 0                 |
 *
 * Left out: o1, in another experiment's challenger arm; x1, a weights experiment's arm that is neither.
 *
 * CTR: 0.75 (s² = 0.25) against 0.5 (s² = 0.5): gain 0.25 ± 1.96 · √(0.25/4 + 0.5/2) = 0.25 ± 1.0957.
 * MRR: 0.625 (s² = 0.6875/3) against 0.25 (s² = 0.125): gain 0.375 ± 1.96 · √(0.2292/4 + 0.125/2) = 0.375 ± 0.6784.
 */
const PARAMS = { as_of: new Date('2026-03-02T00:00:00Z'), window_start: new Date('2026-03-01T00:00:00Z') };
const TRIAL = 'weights.fit-20260329';

const search = (searchId: string, experiments: Record<string, string>): SqlRow =>
  eventsRow({
    event_id: `s-${searchId}`,
    type: 'search_performed',
    user_id: `u-${searchId}`,
    event_time: '2026-03-01T10:00:00Z',
    search_id: searchId,
    query: 'milk',
    personalized: true,
    experiments: JSON.stringify(experiments),
    data: JSON.stringify({ results: [] }),
  });
const click = (searchId: string, position: number, at = '2026-03-01T10:01:00Z'): SqlRow =>
  eventsRow({
    event_id: `c-${searchId}-${position}`,
    type: 'search_result_clicked',
    user_id: `u-${searchId}`,
    event_time: at,
    search_id: searchId,
    position,
  });
const inTrial = (arm: string) => ({ personalization: 'personalized', [TRIAL]: arm });

const TABLES = {
  events: [
    search('c1', inTrial('challenger')),
    click('c1', 1),
    click('c1', 3),
    search('c2', inTrial('challenger')),
    click('c2', 2),
    search('c3', inTrial('challenger')),
    search('c4', inTrial('challenger')),
    click('c4', 1),
    search('k1', inTrial('current')),
    click('k1', 2),
    search('k2', inTrial('current')),
    click('k2', 1, '2026-03-02T10:00:00Z'),
    search('o1', { other: 'challenger' }),
    click('o1', 1),
    search('x1', { [TRIAL]: 'control' }),
    click('x1', 1),
  ],
  order_items: [],
};

const row = (metric: string, value: number, low: number, high: number): SqlRow => ({
  as_of: '2026-03-02T00:00:00.000Z',
  window_start: '2026-03-01T00:00:00.000Z',
  metric,
  experiment: TRIAL,
  arm: 'challenger',
  dimension: '',
  value,
  numerator: null,
  denominator: 6,
  ci_low: low,
  ci_high: high,
});
const EXPECTED = [row('challenger_ctr_gain', 0.25, -0.8456733, 1.3456733), row('challenger_mrr_gain', 0.375, -0.3033742, 1.0533742)];
const KEYS = ['metric', 'experiment'];

describeOnBothEngines('metric_challenger.sql', 'gives the challenger’s gain over the current weights, with its interval', {
  tables: TABLES,
  params: PARAMS,
  expected: EXPECTED,
  keys: KEYS,
});
