import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFirestoreWeightsStore } from '../../functions/adapters/gcp/firestore-weights-store.ts';
import { DEFAULT_RANKING_WEIGHTS } from '../../functions/kernel/signal-weights.ts';
import { HAND_SET_VERSION, type WeightsVersion } from '../../functions/kernel/weights-versions.ts';
import { parseWeightsArgs, runWeightsCommand } from '../../functions/local/weights.ts';
import { emulatorFirestore } from '../support/firestore.ts';

const NOW = new Date('2026-03-29T09:00:00Z');
const fitted = (version: string, brand: number): WeightsVersion => ({
  version,
  weights: { ...DEFAULT_RANKING_WEIGHTS, brand },
  created_at: NOW.toISOString(),
  source: { kind: 'manual' },
});
// The rollout is one document for everyone: each test keeps to a project of its own.
const freshStore = () => createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));

describe('npm run weights', () => {
  it('reads its commands, and refuses anything else with the usage', () => {
    expect(parseWeightsArgs(['show'])).toEqual({ action: 'show' });
    expect(parseWeightsArgs(['promote', 'fit-20260329', '--project', 'shop'])).toEqual({
      action: 'promote',
      version: 'fit-20260329',
      project: 'shop',
    });
    for (const args of [[], ['promote'], ['promote', 'a', 'b'], ['show', 'x'], ['retire', 'a']])
      expect(() => parseWeightsArgs(args)).toThrow(/usage/);
    expect(() => parseWeightsArgs(['promote', '../privacy/u1'])).toThrow(/not a version name/);
  });

  it('promotes the challenger to current in one command, ending its trial', async () => {
    const store = freshStore();
    // A fit that found the engine's order worth nothing of its own stores a prior weight of 0, and show says so.
    await store.saveChallenger({ ...fitted('fit-20260329', 0.4), prior_weight: 0 }, NOW);
    const shown = await runWeightsCommand({ action: 'show' }, store, NOW);
    expect(shown).toMatchObject({ ok: true });
    expect(shown.output).toContain('current: hand-set prior 1 {');
    expect(shown.output).toContain('challenger: fit-20260329 prior 0 {"product":0.6,"brand":0.4,');

    const promoted = await runWeightsCommand({ action: 'promote', version: 'fit-20260329' }, store, NOW);
    expect(promoted).toEqual({ ok: true, output: 'promoted fit-20260329: current fit-20260329, challenger none' });
    expect(await store.rollout()).toEqual({ current: 'fit-20260329', challenger: null, updated_at: NOW.toISOString() });
    expect(await store.read('fit-20260329')).toMatchObject({ weights: { brand: 0.4 }, prior_weight: 0 });
  });

  it('refuses a version never stored and one already current, changing nothing', async () => {
    const store = freshStore();
    expect(await runWeightsCommand({ action: 'promote', version: 'fit-20990101' }, store, NOW)).toEqual({
      ok: false,
      output: 'no weights version fit-20990101 is stored',
    });
    expect(await runWeightsCommand({ action: 'promote', version: HAND_SET_VERSION }, store, NOW)).toEqual({
      ok: false,
      output: 'hand-set is already current',
    });
    expect((await store.rollout()).current).toBe(HAND_SET_VERSION);
  });

  it('keeps a running trial when another version is promoted, and can go back to the hand-set weights', async () => {
    const store = freshStore();
    await store.saveChallenger(fitted('fit-20260328', 0.5), NOW);
    await store.saveChallenger(fitted('fit-20260329', 0.4), NOW);
    expect((await store.promote('fit-20260328', NOW)).promoted).toBe(true);
    expect(await store.rollout()).toMatchObject({ current: 'fit-20260328', challenger: 'fit-20260329' });
    expect((await store.promote(HAND_SET_VERSION, NOW)).promoted).toBe(true);
    expect(await store.rollout()).toMatchObject({ current: HAND_SET_VERSION, challenger: 'fit-20260329' });
    expect(await store.read(HAND_SET_VERSION)).toMatchObject({ weights: DEFAULT_RANKING_WEIGHTS });
  });

  it('never rewrites the current version: a rerun after its promotion leaves what everyone ranks with alone', async () => {
    const store = freshStore();
    await store.saveChallenger(fitted('fit-20260329', 0.4), NOW);
    await store.promote('fit-20260329', NOW);
    await expect(store.saveChallenger(fitted('fit-20260329', 0.9), NOW)).rejects.toThrow(/is current/);
    expect((await store.read('fit-20260329'))?.weights.brand).toBe(0.4);
  });

  it('never saves a fit under the hand-set weights’ name', async () => {
    await expect(freshStore().saveChallenger(fitted(HAND_SET_VERSION, 0.4), NOW)).rejects.toThrow(/hand-set/);
  });
});
