import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFirestoreWeightsStore } from '../../functions/adapters/gcp/firestore-weights-store.ts';
import { DEFAULT_RANKING_WEIGHTS } from '../../functions/kernel/signal-weights.ts';
import { HAND_SET_VERSION, type WeightsStore, type WeightsVersion } from '../../functions/kernel/weights-versions.ts';
import { createRankingWeightsReader } from '../../functions/search/weights-reader.ts';
import { emulatorFirestore } from '../support/firestore.ts';

const NOW = new Date('2026-03-29T09:00:00Z');
const version = (name: string, brand: number): WeightsVersion => ({
  version: name,
  weights: { ...DEFAULT_RANKING_WEIGHTS, brand },
  created_at: NOW.toISOString(),
  source: { kind: 'manual' },
});
const freshStore = () => createFirestoreWeightsStore(emulatorFirestore(`demo-weights-${randomUUID().slice(0, 8)}`));

describe('createRankingWeightsReader', () => {
  it('ranks with the hand-set weights until anything is stored', async () => {
    const versions = await createRankingWeightsReader(freshStore()).read();
    expect(versions).toEqual({
      current: expect.objectContaining({ version: HAND_SET_VERSION, weights: DEFAULT_RANKING_WEIGHTS }) as unknown,
      challenger: null,
    });
  });

  it('reads the current version and the challenger, and sees a promotion once its answer expires', async () => {
    const store = freshStore();
    await store.saveChallenger(version('fit-20260329', 0.4), NOW);
    let now = NOW.getTime();
    const reader = createRankingWeightsReader(store, { ttlMs: 60_000, clock: () => new Date(now) });
    expect(await reader.read()).toMatchObject({
      current: { version: HAND_SET_VERSION },
      challenger: { version: 'fit-20260329', weights: { brand: 0.4 } },
    });

    await store.promote('fit-20260329', NOW);
    now += 59_000;
    expect((await reader.read()).current.version).toBe(HAND_SET_VERSION);
    now += 2_000;
    expect(await reader.read()).toMatchObject({ current: { version: 'fit-20260329', weights: { brand: 0.4 } }, challenger: null });
  });

  it('keeps the versions it had when the store fails or is slow, and never throws', async () => {
    const store = freshStore();
    await store.saveChallenger(version('fit-20260329', 0.4), NOW);
    let now = NOW.getTime();
    let broken = false;
    const flaky: Pick<WeightsStore, 'rollout' | 'read'> = {
      rollout: () => (broken ? Promise.reject(new Error('unavailable')) : store.rollout()),
      read: (name) => store.read(name),
    };
    const reader = createRankingWeightsReader(flaky, { ttlMs: 1_000, clock: () => new Date(now) });
    expect((await reader.read()).challenger?.version).toBe('fit-20260329');
    broken = true;
    now += 5_000;
    expect((await reader.read()).challenger?.version).toBe('fit-20260329');
    const hanging = createRankingWeightsReader(
      { rollout: () => new Promise(() => undefined), read: (name) => store.read(name) },
      { budgetMs: 20 },
    );
    expect((await hanging.read()).current.version).toBe(HAND_SET_VERSION);
  });
});
