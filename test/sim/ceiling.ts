import type { Product } from './catalog.ts';
import { expectedClick, informedOracle, oracleOrder, posteriorOnlyOracle } from './oracle.ts';
import type { SearchSeen } from './trip.ts';

// Where the personalized arm's clicks are lost: for every search, the chance of a click the shopper's truth gives the
// order shown, and the engine's, the informed oracle's (with and without the shopper's parameters) and the full
// oracle's orders of the same results. Expected
// rather than drawn clicks, so that orders of the same searches compare without the draws' noise.

const ORDERS = ['engine', 'shown', 'posterior', 'informed', 'oracle'] as const;
type Clicks = Record<(typeof ORDERS)[number], number>;

/** One search: its day, the segments it counts in (none for control), and its expected click on each order. */
export type CeilingRow = { day: number; segments: string[]; clicks: Clicks };

export type CeilingLedger = {
  /** Give to the run as its `searched` port. */
  searched: (search: SearchSeen) => void;
  rows: CeilingRow[];
};

export function ceilingLedger(): CeilingLedger {
  const rows: CeilingRow[] = [];
  return {
    rows,
    searched({ day, reason, context, engine, shown }) {
      const clickOn = (order: readonly Product[]) => expectedClick(context.truth, context.need, order);
      const onShown = clickOn(shown);
      if (reason === 'control') {
        rows.push({
          day,
          segments: [],
          clicks: { engine: onShown, shown: onShown, posterior: onShown, informed: onShown, oracle: onShown },
        });
        return;
      }
      const clicks = {
        engine: clickOn(engine),
        shown: onShown,
        posterior: clickOn(posteriorOnlyOracle(context, engine)),
        informed: clickOn(informedOracle(context, engine)),
        oracle: clickOn(oracleOrder(context.truth, context.need, engine)),
      };
      rows.push({ day, segments: segmentsOf({ reason, context }), clicks });
    },
  };
}

/** The segments a personalized-arm search counts in: all, why the loop did or did not personalize it, its need, and the shopper's past in its category. */
function segmentsOf({ reason, context }: Pick<SearchSeen, 'reason' | 'context'>): string[] {
  const { need, history } = context;
  const category = need.kind === 'staple' ? need.product.category : need.category;
  const boughtThere = history.some((e) => e.type === 'order_completed' && e.data.items.some((item) => item.category === category));
  return [
    'all',
    `loop: ${reason ?? 'personalized'}`,
    `need: ${need.kind}`,
    boughtThere ? 'category bought before' : 'category never bought before',
  ];
}

type Cell = { searches: number; clicks: Clicks };

const emptyCell = (): Cell => ({ searches: 0, clicks: { engine: 0, shown: 0, posterior: 0, informed: 0, oracle: 0 } });
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;

/**
 * The breakdown of days `fromDay` on as Markdown: per segment of the personalized arm, each order's expected CTR and the
 * uplift it would give over the control arm's expected CTR, and the points of the arm's uplift that the order shown
 * leaves to the informed oracle without and with the parameters and to the full oracle there (these add up over the segments of one kind).
 */
export function ceilingSummary(ledger: CeilingLedger, fromDay: number): string {
  const control = emptyCell();
  const cells = new Map<string, Cell>();
  const add = (cell: Cell, row: CeilingRow) => {
    cell.searches++;
    for (const order of ORDERS) cell.clicks[order] += row.clicks[order];
  };
  for (const row of ledger.rows) {
    if (row.day < fromDay) continue;
    if (row.segments.length === 0) add(control, row);
    for (const name of row.segments) {
      const cell = cells.get(name) ?? emptyCell();
      cells.set(name, cell);
      add(cell, row);
    }
  }
  const controlCtr = control.searches > 0 ? control.clicks.shown / control.searches : 0;
  const arm = cells.get('all')?.searches ?? 0;
  const lines = [
    `Expected CTR (the truth's chance of a click on each order of the same results), from day ${fromDay + 1}, and the uplift over control's ${percent(controlCtr)} (${control.searches} searches).`,
    '',
    '| personalized-arm searches | n | engine order | shown | informed without parameters | informed oracle | full oracle | uplift shown / without parameters / informed / full | uplift points shown leaves to without parameters / informed / full |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  if (controlCtr === 0 || arm === 0) return `${lines.join('\n')}\n`;
  for (const [name, cell] of [...cells].sort(([a], [b]) => (a === 'all' ? -1 : b === 'all' ? 1 : a < b ? -1 : 1))) {
    const ctr = (order: keyof Clicks) => cell.clicks[order] / cell.searches;
    const uplift = (order: keyof Clicks) => signed(ctr(order) / controlCtr - 1);
    const left = (order: keyof Clicks) => ((100 * (cell.clicks[order] - cell.clicks.shown)) / arm / controlCtr).toFixed(1);
    lines.push(
      `| ${name} | ${cell.searches} | ${percent(ctr('engine'))} | ${percent(ctr('shown'))} | ${percent(ctr('posterior'))} | ${percent(ctr('informed'))} | ${percent(ctr('oracle'))} | ${uplift('shown')} / ${uplift('posterior')} / ${uplift('informed')} / ${uplift('oracle')} | ${left('posterior')} / ${left('informed')} / ${left('oracle')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
