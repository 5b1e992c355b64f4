import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreWeightsStore } from '../../functions/adapters/gcp/firestore-weights-store.ts';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { DEFAULT_RANKING_WEIGHTS, prior } from '../../functions/kernel/signal-weights.ts';
import { HAND_SET_VERSION } from '../../functions/kernel/weights-versions.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import type { SqlRow } from '../../functions/warehouse/ports.ts';
import { runWeightsJob, TRIAL_DAYS } from '../../functions/weights/job.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { eventsRow } from '../support/warehouse-rows.ts';

const AS_OF = new Date('2026-03-29T00:00:00Z');
const NOW = new Date('2026-03-29T05:00:00Z');
const SEARCHES = 2_000;

/** Every fourth search swaps one adjacent pair, k and k + 1, k going round 1–4. */
const swapOf = (i: number): number | null => (i % 4 === 0 ? 1 + ((i / 4) % 4) : null);

/**
 * 2,000 control-arm searches of five results, the engine's third of brand value 1, a quarter of them with one adjacent
 * pair swapped, and clicks made by the rule `P(click) = σ(−2 − 0.4 · (shown − 1) + 0.5 · prior(engine) + 0.9 · brand)`,
 * spread evenly (not drawn) so the fit has one answer: attention falls 0.4 log-odds a place, and brand is worth
 * 0.9 / 0.5 = 1.8 units of the engine's prior. Plus as many personalized searches whose brand results were all clicked:
 * were they read, the brand weight would come out far higher.
 */
function warehouseRows(): SqlRow[] {
  const rows: SqlRow[] = [];
  const p = (shown: number, original: number, brand: number) =>
    1 / (1 + Math.exp(-(-2 - 0.4 * (shown - 1) + 0.5 * prior(original - 1) + 0.9 * brand)));
  for (let i = 0; i < SEARCHES; i += 1) {
    for (const arm of ['control', 'personalized']) {
      const user = `${arm}-${i % 50}`;
      const searchId = `${arm}-q${i}`;
      const at = new Date(AS_OF.getTime() - 86_400_000 + i * 1000).toISOString();
      const k = arm === 'control' ? swapOf(i) : null;
      const originals = [1, 2, 3, 4, 5].map((position) => (position === k ? k + 1 : k !== null && position === k + 1 ? k : position));
      const ranking = originals.map((original, index) => ({
        position: index + 1,
        original_position: original,
        signals: original === 3 ? { brand: 1 } : {},
      }));
      rows.push(
        eventsRow({
          event_id: `s-${searchId}`,
          type: 'search_performed',
          user_id: user,
          event_time: at,
          search_id: searchId,
          personalized: arm === 'personalized',
          experiments: JSON.stringify({ personalization: arm }),
          data: JSON.stringify({ results: [], ranking }),
        }),
      );
      for (const [index, original] of originals.entries()) {
        const position = index + 1;
        const brand = original === 3 ? 1 : 0;
        // The i-th search clicks a position when its evenly spaced quantile falls under the click probability.
        const clicked = arm === 'personalized' ? brand === 1 : (i + 0.5) / SEARCHES < p(position, original, brand);
        if (clicked)
          rows.push(
            eventsRow({
              event_id: `c-${searchId}-${position}`,
              type: 'search_result_clicked',
              user_id: user,
              event_time: at,
              search_id: searchId,
              position,
            }),
          );
      }
    }
  }
  return rows;
}

describe('runWeightsJob', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await createDuckDbWarehouse(':memory:');
    await warehouse.replaceRows('events', warehouseRows(), 'test');
  });
  afterAll(() => warehouse.close());

  it('fits the control arm’s clicks into a challenger version, leaving the current weights current', async () => {
    // A project of its own: the rollout is one document for everyone.
    const store = createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));
    const logger = createMemoryLogger();
    const run = await runWeightsJob({ warehouse, store, clock: () => NOW, logger });

    // Five positions in place, and eight pairs one place away: (1, 2) … (4, 5) each way.
    expect(run).toMatchObject({ current: HAND_SET_VERSION, challenger: 'fit-20260329', not_fitted: null, shown: SEARCHES * 5, groups: 13 });
    const rollout = await store.rollout();
    expect(rollout).toEqual({ current: HAND_SET_VERSION, challenger: 'fit-20260329', updated_at: NOW.toISOString() });
    const saved = await store.read('fit-20260329');
    // About 1.8 (500 swapped searches of counted, not expected, clicks pin it roughly); the click curve, attention and
    // all, prices the brand at about a third of a unit of prior.
    expect((saved?.weights.brand ?? 0) / (saved?.prior_weight ?? 1)).toBeGreaterThan(1);
    expect((saved?.weights.brand ?? 0) / (saved?.prior_weight ?? 1)).toBeLessThan(3);
    expect(saved?.source).toMatchObject({ swapped: (SEARCHES / 4) * 2 });
    // Signals the control arm never read keep the current weights.
    expect(saved?.weights.product).toBe(DEFAULT_RANKING_WEIGHTS.product);
    expect(saved?.source).toMatchObject({ kind: 'fit', as_of: AS_OF.toISOString(), since: '2026-03-01T00:00:00.000Z' });
    expect(logger.entries.map((e) => e.message)).toEqual(expect.arrayContaining(['challenger saved', 'job succeeded']));
  });

  it('leaves a challenger to its trial for TRIAL_DAYS, then fits the next; a rerun of its own day refits it', async () => {
    const store = createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));
    const nightsOn = (days: number) => new Date(AS_OF.getTime() + days * 86_400_000);
    const job = (asOf: Date, hour = 5) =>
      runWeightsJob({ warehouse, store, clock: () => new Date(asOf.getTime() + hour * 3_600_000), logger: createMemoryLogger() }, { asOf });
    const name = (asOf: Date) => `fit-${asOf.toISOString().slice(0, 10).replaceAll('-', '')}`;

    expect(await job(AS_OF)).toMatchObject({ challenger: 'fit-20260329', not_fitted: null });
    // The same day again (a rerun): the same version, fitted again.
    expect(await job(AS_OF, 6)).toMatchObject({ challenger: 'fit-20260329', not_fitted: null });
    // The nights of its trial: nothing read, nothing saved, the trial left running.
    for (const days of [1, TRIAL_DAYS - 1])
      expect(await job(nightsOn(days))).toMatchObject({ challenger: null, not_fitted: 'trial_running', shown: 0, groups: 0 });
    expect(await store.rollout()).toMatchObject({ challenger: 'fit-20260329', updated_at: '2026-03-29T06:00:00.000Z' });
    // TRIAL_DAYS after the fit's day, the next fit replaces it.
    const next = nightsOn(TRIAL_DAYS);
    expect(await job(next)).toMatchObject({ challenger: name(next), not_fitted: null });
    expect((await store.rollout()).challenger).toBe(name(next));
  });

  it('saves nothing, and says why, when the window holds no clicks', async () => {
    const store = createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));
    const logger = createMemoryLogger();
    const run = await runWeightsJob(
      { warehouse, store, clock: () => NOW, logger },
      { asOf: new Date('2026-01-02T00:00:00Z'), since: new Date('2026-01-01T00:00:00Z') },
    );
    expect(run).toMatchObject({ challenger: null, not_fitted: 'no_clicks', shown: 0 });
    expect(await store.rollout()).toMatchObject({ current: HAND_SET_VERSION, challenger: null });
  });
});
