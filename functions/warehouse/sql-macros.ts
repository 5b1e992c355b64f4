import { REORDER_CELLS, REORDER_FIT, sqlBinFrom, sqlBinOf } from '../kernel/reorder-model.ts';
import { mapCode } from './dialect.ts';

/**
 * Formulas and constants several files of `sql/` share, written once here and expanded when a file is read
 * (`readSqlFile`), so that BigQuery, DuckDB and ZetaSQL's analyzer and evaluator all receive the same
 * plain SQL. A file calls one like a function, in capitals: `WILSON_LOWER(p, n) AS ci_low`.
 *
 * Text, not SQL functions: a BigQuery temporary function makes every query a multi-statement script, a
 * persistent one is a routine to deploy and to name with its dataset in every file, and ZetaSQL's
 * evaluator runs neither; DuckDB would need a macro of its own beside them. Expanded, each file stays
 * one statement that all three check and run alike.
 */

/** The z of every two-sided 95% interval the loop reports: the metrics' intervals and the dietary confidence. */
export const Z_95 = 1.96;

/**
 * Days of history a pattern analysis reads before its `@as_of` (staged by `stage_run_order_lines.sql`,
 * `stage_run_engagement.sql`, `stage_category_price_ranges.sql`), and the reorder and brand metrics read
 * before each order they judge, so that they judge by what the patterns saw: half a year of habits.
 */
export const HISTORY_DAYS = 180;

/**
 * Minutes after a metric window's end in which a click (or an order) still counts for a search (or a
 * cart) of the window: a search just before midnight keeps its clicks, and the daily run starts later.
 */
export const ATTRIBUTION_MINUTES = 30;

/** z² as a decimal literal: 3.8416, to 12 significant digits, so the float product's last bit stays out of the SQL. */
const Z_95_SQUARED = String(Number((Z_95 * Z_95).toPrecision(12)));

/** The Wilson score interval's bound of a share `p` of `n` trials: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n). */
function wilson(sign: '-' | '+'): (p: string, n: string) => string {
  return (p, n) =>
    `(${p} + ${Z_95_SQUARED} / (2 * ${n}) ${sign} ${Z_95} * SQRT(${p} * (1 - ${p}) / ${n} + ${Z_95_SQUARED} / (4 * ${n} * ${n}))) / (1 + ${Z_95_SQUARED} / ${n})`;
}

/**
 * Each visitor's shopper, one row per linked visitor: a resent link can repeat its row in BigQuery (streaming
 * inserts drop repeats only best-effort), and a visitor is linked to one shopper at most, so MIN picks that one.
 */
const LINKS = '(SELECT anonymous_id, MIN(user_id) AS user_id FROM identity_links GROUP BY anonymous_id)';

/**
 * A table's rows with a linked visitor's `user_id` replaced by their shopper's: from the moment a visitor is linked,
 * what they did before logging in is the shopper's, in the patterns and the metrics as in learning. The table's
 * other columns pass through unchanged, so a query's filter on its partitioning column still prunes partitions (and
 * satisfies `require_partition_filter`): BigQuery pushes it into the preserved side of the join.
 */
function linkedAsShoppers(table: 'events' | 'order_items'): () => string {
  return () =>
    `(SELECT t.* REPLACE (COALESCE(l.user_id, t.user_id) AS user_id) FROM ${table} AS t LEFT JOIN ${LINKS} AS l ON l.anonymous_id = t.user_id)`;
}

/** Every macro by name, with its expansion from the text of its arguments. */
export const SQL_MACROS: Readonly<Record<string, (...args: string[]) => string>> = {
  /** The lower bound of the Wilson 95% interval of a share p of n trials; n must be above 0 (BigQuery fails a division by zero). */
  WILSON_LOWER: wilson('-'),
  /** Its upper bound. */
  WILSON_UPPER: wilson('+'),
  /** z of a 95% interval, for a normal interval: `mean − Z_95() · s / √n`. */
  Z_95: () => String(Z_95),
  /** `INTERVAL HISTORY_DAYS() DAY`. */
  HISTORY_DAYS: () => String(HISTORY_DAYS),
  /** `INTERVAL ATTRIBUTION_MINUTES() MINUTE`. */
  ATTRIBUTION_MINUTES: () => String(ATTRIBUTION_MINUTES),
  /** `FROM SHOPPER_EVENTS() AS e`: `events`, each linked visitor's rows as their shopper's. */
  SHOPPER_EVENTS: linkedAsShoppers('events'),
  /** `FROM SHOPPER_ORDER_ITEMS() AS i`: `order_items`, each linked visitor's lines as their shopper's. */
  SHOPPER_ORDER_ITEMS: linkedAsShoppers('order_items'),
  /**
   * `user_id IN ACTIVE_SHOPPERS(@since)`: the shoppers a patterns run recomputes, those with events received at or
   * after `since` (a linked visitor as their shopper), and each shopper who linked a visitor since, as their history
   * now holds the visitor's. Collect refuses events more than 30 days old (after clock-skew correction), so an event
   * received since `since` has an event_time after `since` − 31 days: that bound is the partition filter.
   */
  ACTIVE_SHOPPERS: (since) =>
    `(SELECT e.user_id FROM ${linkedAsShoppers('events')()} AS e WHERE e.event_time >= TIMESTAMP_SUB(${since}, INTERVAL 31 DAY) AND e.received_at >= ${since} UNION DISTINCT SELECT user_id FROM identity_links WHERE linked_at >= ${since})`,
  /**
   * `JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id`: every id whose rows an erasure of the shoppers in the
   * array removes, each with the erased shopper it belongs to (`x.user_id`): the shopper's own, and each visitor
   * linked to them.
   */
  ERASED_IDS: (userIds) =>
    `(SELECT DISTINCT id, user_id FROM (SELECT id, id AS user_id FROM UNNEST(${userIds}) AS id UNION ALL SELECT anonymous_id, user_id FROM identity_links WHERE user_id IN UNNEST(${userIds})))`,
  /** `user_id IN LINKED_VISITORS(@user_ids)`: the visitors linked to the shoppers in the array. */
  LINKED_VISITORS: (userIds) => `(SELECT anonymous_id FROM identity_links WHERE user_id IN UNNEST(${userIds}))`,
  /** The reorder model's cycle bin of days since the last purchase ÷ mean interval (`REORDER_CELLS`). */
  REORDER_CYCLE_BIN: (cycle) => sqlBinOf(cycle, REORDER_CELLS.cycle),
  /** The least days since ÷ interval in a cycle bin: its lower edge (0 for bin 0). */
  REORDER_CYCLE_FROM: (bin) => sqlBinFrom(bin, REORDER_CELLS.cycle),
  /** Its orders bin of the orders that bought the product. */
  REORDER_ORDERS_BIN: (orders) => sqlBinOf(orders, REORDER_CELLS.orders),
  /** Its interval bin of the mean interval, days. */
  REORDER_INTERVAL_BIN: (days) => sqlBinOf(days, REORDER_CELLS.interval),
  /**
   * `FROM REORDER_MODEL_AT(@as_of) AS m`: the cells of the reorder model in force at `as_of` (the latest fitted as of
   * then; a refit of the same `as_of` wins by when it was fitted): search, the metric and the regular purchases all
   * decide by the same version. No rows before a first fit.
   */
  REORDER_MODEL_AT: (asOf) =>
    `(SELECT m.cycle_bin, m.orders_bin, m.interval_bin, m.due FROM reorder_model AS m WHERE m.version = (SELECT version FROM reorder_model WHERE as_of <= ${asOf} ORDER BY as_of DESC, fitted_at DESC, version DESC LIMIT 1))`,
  /**
   * The reorder model's two features of a product at an order, over the earlier purchases grouped with it: the mean
   * days between them, and the days since the last. One formula for the fit (`reorder_outcomes.sql`) and the metric
   * that judges by it (`metric_reorder.sql`), so both place an order in the same cell.
   */
  REORDER_MEAN_INTERVAL_DAYS: (boughtAt) => `(UNIX_SECONDS(MAX(${boughtAt})) - UNIX_SECONDS(MIN(${boughtAt}))) / 86400 / (COUNT(*) - 1)`,
  /** The days from the last of the purchases `boughtAt` to the order at `orderedAt`. */
  REORDER_DAYS_SINCE_LAST: (orderedAt, boughtAt) => `(UNIX_SECONDS(MIN(${orderedAt})) - UNIX_SECONDS(MAX(${boughtAt}))) / 86400`,
  /** `INTERVAL REORDER_FIT_DAYS() DAY`: the days of orders a fit learns from (`REORDER_FIT`). */
  REORDER_FIT_DAYS: () => String(REORDER_FIT.fitDays),
};

/**
 * The statement with every macro call expanded. An argument is taken as written when it is a name or a
 * parameter, and in parentheses otherwise, so `WILSON_LOWER(a / b, n)` keeps its precedence. Calls are found in
 * code only, never in string literals or comments; a call with the wrong number of arguments, or not
 * closed within its stretch of code, throws.
 */
export function expandSqlMacros(sql: string): string {
  return mapCode(sql, expandCode);
}

const CALL = new RegExp(`\\b(${Object.keys(SQL_MACROS).join('|')})\\s*\\(`, 'g');

function expandCode(code: string): string {
  let out = '';
  let from = 0;
  CALL.lastIndex = 0;
  for (let match = CALL.exec(code); match !== null; match = CALL.exec(code)) {
    const name = match[1] ?? '';
    const { args, end } = callArguments(code, match.index + match[0].length, name);
    const macro = SQL_MACROS[name]!;
    if (args.length !== macro.length || args.includes(''))
      throw new Error(`${name} takes ${macro.length} arguments, not (${args.join(', ')})`);
    out += code.slice(from, match.index) + macro(...args.map(argument));
    from = end;
    CALL.lastIndex = end;
  }
  return out + code.slice(from);
}

/** The arguments of a call whose `(` ends at `start`, split at the commas outside parentheses, and where the call ends. */
function callArguments(code: string, start: number, name: string): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < code.length; i++) {
    const ch = code.charAt(i);
    if (ch === '(') depth += 1;
    else if (ch === ')' && depth > 0) depth -= 1;
    else if (ch === ',' && depth === 0) {
      args.push(code.slice(from, i).trim());
      from = i + 1;
    } else if (ch === ')') {
      const last = code.slice(from, i).trim();
      if (last !== '' || args.length > 0) args.push(last);
      return { args, end: i + 1 };
    }
  }
  throw new Error(`${name}( is not closed in the same stretch of code (a string or comment inside a macro call is not supported)`);
}

/** A name, a qualified name or a query parameter is taken as written; anything else keeps its precedence in parentheses. */
function argument(text: string): string {
  return /^@?[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/.test(text) ? text : `(${text})`;
}
