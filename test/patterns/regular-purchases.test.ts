import { describeOnBothEngines } from '../support/both-engines.ts';
import { KEYS, PARAMS, REGULAR_PURCHASES_WITH_MODEL } from './fixtures.ts';

// A regular item is due by the reorder model in force, as search, metric_reorder.sql and the backtest decide; the
// default rule decides only before a first fit (analyses.*.test.ts, with no model).
describeOnBothEngines('regular_purchases.sql', 'decides due and due_at by the reorder model in force at @as_of, not the default rule', {
  ...REGULAR_PURCHASES_WITH_MODEL,
  params: PARAMS,
  keys: KEYS.regular_purchases ?? [],
});
