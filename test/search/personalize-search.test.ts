import { describe, expect, it } from 'vitest';
import { ClientEvent } from '../../functions/events/schema.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { assignArm, DEFAULT_EXPERIMENT, type Experiment } from '../../functions/experiments/experiments.ts';
import { createSearchPersonalizer, type SearchPersonalizerSettings } from '../../functions/search/personalize-search.ts';
import type { PreferenceRead, SearchPreferenceReader, UnreadReason } from '../../functions/search/preference-reader.ts';
import type { ShopperPreferences } from '../../functions/search/ports.ts';
import { DEFAULT_RANKING_WEIGHTS } from '../../functions/kernel/signal-weights.ts';
import { handSetVersion, weightsExperimentId, type WeightsVersion } from '../../functions/kernel/weights-versions.ts';
import type { RankingWeightsReader } from '../../functions/search/weights-reader.ts';
import { affinity, learned, NOW, results, shopper, skus } from './shoppers.ts';

// Pinned in experiments.test.ts: shopper-1 is in the personalized arm, shopper-3 in control.
const PERSONALIZED = 'shopper-1';
const CONTROL = 'shopper-3';
const LIKES_C = shopper({ learned: learned({ products: { c: affinity(0.9) } }) });

/** A reader that answers what it is told and remembers whom it was asked about. */
function fixedReader(answer: { preferences: ShopperPreferences } | { reason: UnreadReason }) {
  const asked: string[] = [];
  const reader: Pick<SearchPreferenceReader, 'read'> = {
    async read(userId): Promise<PreferenceRead> {
      asked.push(userId);
      return 'preferences' in answer
        ? { preferences: answer.preferences, reason: null, cached: false }
        : { preferences: null, reason: answer.reason, cached: false };
    },
  };
  return { reader, asked };
}

const personalizer = (settings: Partial<SearchPersonalizerSettings> & Pick<SearchPersonalizerSettings, 'reader'>) =>
  createSearchPersonalizer({ clock: () => NOW, ...settings });
const request = (userId: string) => ({ userId, sessionId: 'session-1', query: 'milk', results: results(3) });

describe('personalizeSearch', () => {
  it('re-ranks for a shopper in the personalized arm and says so in the search_performed event', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    const outcome = await personalizer({ reader })(request(PERSONALIZED));
    expect(skus(outcome.results)).toBe('acb');
    expect(outcome).toMatchObject({
      arm: 'personalized',
      personalized: true,
      reason: null,
      experiments: { personalization: 'personalized' },
    });
    expect(outcome.explanations.map((e) => [e.sku, e.original_position, e.position])).toEqual([
      ['a', 1, 1],
      ['c', 3, 2],
      ['b', 2, 3],
    ]);
    expect(ClientEvent.safeParse(outcome.event).error?.issues ?? []).toEqual([]);
    expect(outcome.event).toMatchObject({
      occurred_at: NOW.toISOString(),
      context: { search_id: outcome.search_id, experiments: { personalization: 'personalized' } },
      data: {
        search_id: outcome.search_id,
        query: 'milk',
        personalized: true,
        results_count: 3,
        results: [
          { sku: 'a', position: 1 },
          { sku: 'c', position: 2 },
          { sku: 'b', position: 3 },
        ],
      },
    });
  });

  it('logs in the event the signal values that placed each shown result, from the explanations', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    const outcome = await personalizer({ reader })(request(PERSONALIZED));
    // c's product affinity of 0.9 reads tanh(0.9) ≈ 0.7163: its value, before any weight.
    expect(outcome.explanations.map((e) => e.values.product)).toEqual([0, Math.tanh(0.9), 0].map((v) => expect.closeTo(v, 12) as number));
    expect(outcome.event.data.ranking).toEqual([
      { position: 1, original_position: 1, signals: {} },
      { position: 2, original_position: 3, signals: { product: 0.7163 } },
      { position: 3, original_position: 2, signals: {} },
    ]);
  });

  it('logs the values that were read even when none moved a result, and none when nothing was read', async () => {
    const nothingApplies = fixedReader({ preferences: shopper({ learned: learned({ brands: { Alpro: affinity(1) } }) }) });
    const unmoved = await personalizer({ reader: nothingApplies.reader })(request(PERSONALIZED));
    expect(unmoved.event.data.ranking).toEqual([1, 2, 3].map((p) => ({ position: p, original_position: p, signals: {} })));
    const control = await personalizer({ reader: fixedReader({ preferences: LIKES_C }).reader })(request(CONTROL));
    const unread = await personalizer({ reader: fixedReader({ reason: 'timeout' }).reader })(request(PERSONALIZED));
    const flat = await personalizer({ reader: fixedReader({ preferences: LIKES_C }).reader, ranking: { strength: 0 } })(
      request(PERSONALIZED),
    );
    for (const outcome of [control, unread, flat]) expect(outcome.event.data).not.toHaveProperty('ranking');
  });

  it('keeps the engine order for the control arm, without reading the preferences', async () => {
    const { reader, asked } = fixedReader({ preferences: LIKES_C });
    const outcome = await personalizer({ reader })(request(CONTROL));
    expect(skus(outcome.results)).toBe('abc');
    expect(outcome).toMatchObject({ arm: 'control', personalized: false, reason: 'control', experiments: { personalization: 'control' } });
    expect(outcome.event.data.personalized).toBe(false);
    expect(outcome.event.context?.experiments).toEqual({ personalization: 'control' });
    expect(asked).toEqual([]);
  });

  it('logs the control arm’s signal values in the engine’s order when asked to, without moving a result', async () => {
    const { reader, asked } = fixedReader({ preferences: LIKES_C });
    // A draw above every swap share: this search is not one of the randomized swaps.
    const outcome = await personalizer({ reader, signalsInControl: true, random: () => 0.99 })(request(CONTROL));
    expect(asked).toEqual([CONTROL]);
    expect(skus(outcome.results)).toBe('abc');
    expect(outcome).toMatchObject({ arm: 'control', personalized: false, reason: 'control' });
    expect(outcome.explanations.every((e) => e.position === e.original_position)).toBe(true);
    // c would rise to second in the personalized arm; here it stays third, and its value is logged where it was shown.
    expect(outcome.event.data.ranking).toEqual([
      { position: 1, original_position: 1, signals: {} },
      { position: 2, original_position: 2, signals: {} },
      { position: 3, original_position: 3, signals: { product: 0.7163 } },
    ]);
    expect(ClientEvent.safeParse(outcome.event).error?.issues ?? []).toEqual([]);
    const unread = await personalizer({ reader: fixedReader({ reason: 'timeout' }).reader, signalsInControl: true })(request(CONTROL));
    expect(unread.event.data).not.toHaveProperty('ranking');
  });

  it('swaps two adjacent results of a control search at random, and logs each where it was shown and where the engine ranked it', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    // 0.05 is under the share of 0.1: swap; 0.3 picks k = 1 + ⌊0.3 · 4⌋ = 2 among the pairs of the first five.
    const draws = [0.05, 0.3];
    const outcome = await personalizer({ reader, signalsInControl: true, random: () => draws.shift() ?? 0.99 })(request(CONTROL));
    expect(draws).toEqual([]);
    expect(skus(outcome.results)).toBe('acb');
    expect(outcome).toMatchObject({ arm: 'control', personalized: false, reason: 'control' });
    expect(outcome.event.data.results.map((r) => [r.sku, r.position])).toEqual([
      ['a', 1],
      ['c', 2],
      ['b', 3],
    ]);
    expect(outcome.event.data.ranking).toEqual([
      { position: 1, original_position: 1, signals: {} },
      { position: 2, original_position: 3, signals: { product: 0.7163 } },
      { position: 3, original_position: 2, signals: {} },
    ]);
    expect(outcome.explanations.map((e) => [e.sku, e.original_position, e.position])).toEqual([
      ['a', 1, 1],
      ['c', 3, 2],
      ['b', 2, 3],
    ]);
    expect(ClientEvent.safeParse(outcome.event).error?.issues ?? []).toEqual([]);
  });

  it('swaps nothing outside the control searches that log their signals, nor past the results shown', async () => {
    const swapAlways = () => 0;
    const { reader } = fixedReader({ preferences: LIKES_C });
    // The personalized arm keeps its own order; a control search that logs nothing is not swapped for nothing.
    expect(skus((await personalizer({ reader, random: swapAlways })(request(PERSONALIZED))).results)).toBe('acb');
    expect(skus((await personalizer({ reader, random: swapAlways })(request(CONTROL))).results)).toBe('abc');
    const unread = fixedReader({ reason: 'timeout' }).reader;
    expect(skus((await personalizer({ reader: unread, signalsInControl: true, random: swapAlways })(request(CONTROL))).results)).toBe(
      'abc',
    );
    // A share of 0 swaps nothing; the pair (4, 5) of three results is skipped, not moved elsewhere.
    const none = personalizer({ reader, signalsInControl: true, swaps: { share: 0 }, random: swapAlways });
    expect(skus((await none(request(CONTROL))).results)).toBe('abc');
    const draws = [0, 0.9];
    const past = personalizer({ reader, signalsInControl: true, random: () => draws.shift() ?? 0.99 });
    expect(skus((await past(request(CONTROL))).results)).toBe('abc');
  });

  it('refuses a swap share above one half or a depth below two, at start-up', () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    expect(() => personalizer({ reader, swaps: { share: 0.6 } })).toThrow();
    expect(() => personalizer({ reader, swaps: { depth: 1 } })).toThrow();
  });

  it('ranks with a version’s prior weight: at 0 the engine’s order only breaks ties', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    const faint = { ...handSetVersion(), version: 'fit-20260329', weights: { ...DEFAULT_RANKING_WEIGHTS, product: 0.05 } };
    const rankWith = async (current: WeightsVersion) =>
      skus(
        (await personalizer({ reader, weights: { read: () => Promise.resolve({ current, challenger: null }) } })(request(PERSONALIZED)))
          .results,
      );
    // 0.05 × tanh(0.9) ≈ 0.036 does not lift c (1/3) past b (1/2) against the engine's order at weight 1; at 0 it does.
    expect(await rankWith(faint)).toBe('abc');
    expect(await rankWith({ ...faint, prior_weight: 0 })).toBe('cab');
  });

  it('tries a challenger’s weights on its share of the personalized arm, naming its arm in the event', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    // The challenger ignores the product signal: its shoppers keep the engine's order.
    const challenger: WeightsVersion = {
      ...handSetVersion(),
      version: 'fit-20260329',
      weights: { ...DEFAULT_RANKING_WEIGHTS, product: 0 },
    };
    const weights: RankingWeightsReader = { read: () => Promise.resolve({ current: handSetVersion(), challenger }) };
    const experiment = weightsExperimentId('fit-20260329');
    const shoppers = Array.from({ length: 40 }, (_, i) => `shopper-${i}`).filter(
      (u) => assignArm(DEFAULT_EXPERIMENT, u) === 'personalized',
    );
    const outcomes = await Promise.all(shoppers.map((u) => personalizer({ reader, weights })(request(u))));
    const arms = outcomes.map((o) => o.experiments[experiment]);
    expect(new Set(arms)).toEqual(new Set(['challenger', 'current']));
    for (const o of outcomes) {
      const arm = o.experiments[experiment];
      expect([skus(o.results), o.event.context?.experiments?.[experiment]]).toEqual([arm === 'challenger' ? 'abc' : 'acb', arm]);
    }
    // Control shoppers are in no trial of weights.
    const control = await personalizer({ reader, weights })(request(CONTROL));
    expect(control.experiments).toEqual({ personalization: 'control' });
  });

  it.each(['timeout', 'error', 'missing', 'not_learning'] as const)(
    'keeps the engine order, with the reason, when the read answers %s',
    async (reason) => {
      const outcome = await personalizer({ reader: fixedReader({ reason }).reader })(request(PERSONALIZED));
      expect(skus(outcome.results)).toBe('abc');
      expect(outcome).toMatchObject({ arm: 'personalized', personalized: false, reason });
      expect(outcome.event.data.personalized).toBe(false);
      expect(outcome.explanations.every((e) => e.position === e.original_position)).toBe(true);
    },
  );

  it('says no_signal when nothing learned applies to these results', async () => {
    const { reader } = fixedReader({ preferences: shopper({ learned: learned({ brands: { Alpro: affinity(1) } }) }) });
    expect(await personalizer({ reader })(request(PERSONALIZED))).toMatchObject({ personalized: false, reason: 'no_signal' });
  });

  it('keeps the engine order when a reader breaks its promise and throws', async () => {
    const rejects = { read: () => Promise.reject(new Error('boom')) };
    const throws = {
      read: (): Promise<PreferenceRead> => {
        throw new Error('boom');
      },
    };
    for (const reader of [rejects, throws])
      expect(await personalizer({ reader })(request(PERSONALIZED))).toMatchObject({ personalized: false, reason: 'error' });
  });

  it('personalizes every shopper once the personalization experiment is over, and reports the other experiments’ arms', async () => {
    const copy: Experiment = {
      id: 'checkout-copy',
      control: 'old',
      arms: [
        { name: 'old', weight: 1 },
        { name: 'new', weight: 1 },
      ],
    };
    const { reader } = fixedReader({ preferences: LIKES_C });
    const outcome = await personalizer({ reader, experiments: [copy] })(request(CONTROL));
    expect(outcome).toMatchObject({ arm: null, personalized: true, experiments: { 'checkout-copy': assignArm(copy, CONTROL) } });
    expect(outcome.event.context?.experiments).toEqual({ 'checkout-copy': assignArm(copy, CONTROL) });
  });

  it('applies the ranking settings: strength 0 keeps the engine order', async () => {
    const { reader } = fixedReader({ preferences: LIKES_C });
    expect(await personalizer({ reader, ranking: { strength: 0 } })(request(PERSONALIZED))).toMatchObject({
      personalized: false,
      reason: 'no_signal',
    });
  });

  it('passes the engine’s count, filters and context on to the event, and a fresh search id each time', async () => {
    const { reader } = fixedReader({ reason: 'missing' });
    const search = personalizer({ reader, experiments: [DEFAULT_EXPERIMENT] });
    const input = {
      ...request(PERSONALIZED),
      resultsCount: 240,
      filters: { organic: true },
      topCategories: ['dairy'],
      context: { platform: 'server' as const },
    };
    const [one, two] = [await search(input), await search(input)];
    expect(one.event.data).toMatchObject({ results_count: 240, filters: { organic: true }, top_categories: ['dairy'] });
    expect(one.event.context?.platform).toBe('server');
    expect(one.search_id).not.toBe(two.search_id);
    expect(ClientEvent.safeParse(one.event).success).toBe(true);
  });

  it('logs each search at debug level, without the shopper', async () => {
    const logger = createMemoryLogger();
    await personalizer({ reader: fixedReader({ reason: 'missing' }).reader, logger })(request(PERSONALIZED));
    expect(logger.entries).toMatchObject([
      { severity: 'DEBUG', message: 'search ranked', personalized: false, reason: 'missing', arm: 'personalized' },
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain(PERSONALIZED);
  });

  it('refuses invalid experiments and ranking settings at creation, not at the first search', () => {
    const { reader } = fixedReader({ reason: 'missing' });
    expect(() => personalizer({ reader, experiments: [{ ...DEFAULT_EXPERIMENT, control: 'nobody' }] })).toThrow(/control arm/);
    expect(() => personalizer({ reader, ranking: { strength: -1 } })).toThrow(RangeError);
    expect(() => personalizer({ reader, ranking: { weights: { brand: Number.NaN } } })).toThrow(RangeError);
  });
});
