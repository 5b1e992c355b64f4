/**
 * When a product bought on a rhythm is due again: from `dueFraction` of its mean interval between orders
 * since the last order, until it lapses at `lapseCycles` mean intervals. Real-time learning
 * (functions/learn/reorder-due.ts), the patterns' regular items (regular_purchases.sql) and the reorder
 * metric (metric_reorder.sql) all judge by it; the SQL receives it as query parameters (`REORDER_RULE_PARAMS`).
 */
export const REORDER_RULE = {
  /** Suggest milk a little before it runs out. */
  dueFraction: 0.9,
  /**
   * Having missed a whole cycle, the shopper no longer buys it on that rhythm (measured: most wrong due
   * predictions were products bought twice by chance that then stayed due for good). A new order makes
   * it due again.
   */
  lapseCycles: 2,
} as const;

/** `REORDER_RULE` as the files of `sql/` take it: `@due_fraction`, `@lapse_cycles`. */
export const REORDER_RULE_PARAMS = { due_fraction: REORDER_RULE.dueFraction, lapse_cycles: REORDER_RULE.lapseCycles } as const;
