import { parseArgs } from 'node:util';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import {
  handSetVersion,
  INITIAL_ROLLOUT,
  type Rollout,
  type WeightsStore,
  type WeightsVersion,
} from '../../functions/kernel/weights-versions.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import { createRankingWeightsReader } from '../../functions/search/weights-reader.ts';
import { eventRow, orderItemRows } from '../../functions/warehouse/rows.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { runWeightsJob } from '../../functions/weights/job.ts';
import { runInProcess } from './in-process.ts';

// `node test/sim/weights-trial.ts [--shoppers N] [--days N] [--seed N]`: the ranking-weights loop on simulated
// shoppers, in process. First run: control searches log their signal values; the weights job's own code and SQL fit
// them (DuckDB). Second run, the same shoppers: the fit is the challenger against the hand-set weights, and the
// metrics job's metric_challenger.sql reads out the trial over the second week.

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '14' },
    seed: { type: 'string', default: '7' },
  },
});
const shoppers = Number(values.shoppers);
const days = Number(values.days);
const seed = Number(values.seed);
const DAY_MS = 86_400_000;
const logger = createLogger({ minSeverity: 'WARNING', sink: (line) => process.stderr.write(`${line}\n`) });

/** The store in this process's memory: the simulation has no Firestore; the job and the reader use it as they would. */
function memoryWeightsStore(): WeightsStore {
  const versions = new Map<string, WeightsVersion>();
  let rollout: Rollout = INITIAL_ROLLOUT;
  return {
    read: async (name) => (name === handSetVersion().version ? handSetVersion() : (versions.get(name) ?? null)),
    rollout: async () => rollout,
    saveChallenger: async (version, now) => {
      versions.set(version.version, version);
      rollout = { ...rollout, challenger: version.version, updated_at: now.toISOString() };
      return rollout;
    },
    promote: async () => ({ promoted: false, reason: 'unknown_version' }),
  };
}

/**
 * What the swaps cost control shoppers: the click-through of control searches that logged their signals, swapped or not.
 * A swap is drawn before the results are looked at, so the two differ only by the swap.
 */
function swapCost(events: readonly CollectedEvent[]) {
  const clickedSearches = new Set(events.flatMap((e) => (e.type === 'search_result_clicked' ? [`${e.user_id}/${e.data.search_id}`] : [])));
  const tally = { swapped: { searches: 0, clicked: 0 }, unswapped: { searches: 0, clicked: 0 } };
  for (const e of events) {
    if (e.type !== 'search_performed' || e.context?.experiments?.personalization !== 'control' || !e.data.ranking) continue;
    const group = e.data.ranking.some((r) => r.position !== r.original_position) ? tally.swapped : tally.unswapped;
    group.searches += 1;
    if (clickedSearches.has(`${e.user_id}/${e.data.search_id}`)) group.clicked += 1;
  }
  const ctr = (g: { searches: number; clicked: number }) => (g.searches === 0 ? null : g.clicked / g.searches);
  return { ...tally, ctr_swapped: ctr(tally.swapped), ctr_unswapped: ctr(tally.unswapped) };
}

async function warehouseOf(events: readonly CollectedEvent[]) {
  const warehouse = await createDuckDbWarehouse(':memory:');
  await warehouse.replaceRows(
    'events',
    events.map((e) => eventRow(e, 'sim')),
    'sim',
  );
  await warehouse.replaceRows(
    'order_items',
    events.flatMap((e) => orderItemRows(e)),
    'sim',
  );
  return warehouse;
}

const first: CollectedEvent[] = [];
const fitRun = await runInProcess({ shoppers, days, seed, signalsInControl: true, collected: (events) => first.push(...events) });
process.stdout.write(`swaps: ${JSON.stringify(swapCost(first))}\n`);
const start = Date.parse(`${fitRun.dates[0] ?? ''}T00:00:00Z`);
const asOf = new Date(start + days * DAY_MS);
const store = memoryWeightsStore();
const fitWarehouse = await warehouseOf(first);
const fit = await runWeightsJob(
  { warehouse: fitWarehouse, store, clock: () => new Date(asOf.getTime() + 3_600_000), logger },
  { asOf, since: new Date(start) },
);
await fitWarehouse.close();
const challenger = fit.challenger === null ? null : await store.read(fit.challenger);
process.stdout.write(
  `fit: ${JSON.stringify({ ...fit, weights: challenger?.weights, prior_weight: challenger?.prior_weight, source: challenger?.source })}\n`,
);
if (challenger === null) process.exit(1);

const second: CollectedEvent[] = [];
const trialRun = await runInProcess({
  shoppers,
  days,
  seed,
  weights: createRankingWeightsReader(store),
  collected: (events) => second.push(...events),
});
const trialWarehouse = await warehouseOf(second);
// The second week, as the metrics job would measure it.
const params = { as_of: new Date(start + days * DAY_MS), window_start: new Date(start + Math.min(7, days - 1) * DAY_MS) };
const readout = await trialWarehouse.query('metric_challenger.sql', params, 'sim');
const arms = await trialWarehouse.query('metric_search_quality.sql', params, 'sim');
const ctr = await trialWarehouse.query('metric_ctr.sql', params, 'sim');
const inTrial = (rows: SqlRow[]) =>
  rows.filter((r) => String(r.experiment).startsWith('weights.') || String(r.experiment) === 'personalization');
process.stdout.write(`readout (days ${Math.min(8, days)}–${days}): ${JSON.stringify(readout.rows)}\n`);
process.stdout.write(
  `per arm: ${JSON.stringify(inTrial([...ctr.rows, ...arms.rows]).map((r) => ({ metric: r.metric, experiment: r.experiment, arm: r.arm, value: r.value, n: r.denominator, ci: [r.ci_low, r.ci_high] })))}\n`,
);
process.stdout.write(`wall: fit run ${Math.round(fitRun.wallSeconds)} s, trial run ${Math.round(trialRun.wallSeconds)} s\n`);
await trialWarehouse.close();
