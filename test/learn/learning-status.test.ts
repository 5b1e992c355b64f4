import { describe, expect, it } from 'vitest';
import { LearningStatus, learningStatus, overallConfidence } from '../../functions/learn/learning-status.ts';
import type { ReorderState } from '../../functions/learn/preferences.ts';
import type { Preference } from '../../functions/patterns/patterns.ts';
import { affinity, daysBefore, learned, NOW, patterns, regularItem, SHOPPER } from '../search/shoppers.ts';

const ON = { learn_preferences: true, learn_brands: true };

function ordered(orders: number): ReorderState {
  return {
    orders,
    quantity: orders,
    first_at: daysBefore(30),
    last_at: daysBefore(2),
    mean_interval_days: orders > 1 ? 28 / (orders - 1) : null,
    next_due_at: null,
  };
}

function brand(name: string, share: number): Preference {
  return { name, score: 10 * share, share, purchases: 1, cart_adds: 0, clicks: 0 };
}

/**
 * A shopper the real-time learning and the patterns job both know. By hand (the document's epoch is
 * NOW, so weights are current values):
 * - regular items: milk max(0.4 batch, 5 orders → 0.5) = 0.5, bread 0.2 (batch), eggs 2 orders → 0.2;
 *   cheese, ordered once, is none: 3 items, mean 0.3;
 * - brands: Oatly max(tanh 1.1 = 0.8005, share 0.3) → 0.8; Hovis share 0.6; Alpro tanh 0.3 = 0.2913;
 *   Lurpak share 0.5 but a negative affinity (cart removals) → left out;
 * - confidence: 0.5 × 0.3 / 0.9 + 0.5 × 50 / (50 + 50) = 0.1667 + 0.25 = 0.417, medium.
 */
const document = {
  learned: learned({
    event_count: 50,
    last_event_at: '2026-11-26T11:00:00.000Z',
    brands: { Oatly: affinity(1.1), Alpro: affinity(0.3), Lurpak: affinity(-0.35) },
    reorder: { milk: ordered(5), eggs: ordered(2), cheese: ordered(1) },
  }),
  patterns: patterns({
    as_of: '2026-11-26T03:00:00.000Z',
    regular_items: [regularItem('milk', { confidence: 0.4 }), regularItem('bread', { purchases: 2, confidence: 0.2 })],
    brands: [brand('Hovis', 0.6), brand('Lurpak', 0.5), brand('Oatly', 0.3)],
  }),
};

describe('learningStatus', () => {
  it('sums up what was learned: regular items, top brands, confidence, last update', () => {
    const status = learningStatus(SHOPPER, { ...document, privacy: ON }, NOW);

    expect(LearningStatus.parse(status)).toEqual({
      user_id: SHOPPER,
      state: 'learning',
      regular_item_count: 3,
      top_brands: [
        { name: 'Oatly', strength: 0.8 },
        { name: 'Hovis', strength: 0.6 },
        { name: 'Alpro', strength: 0.291 },
      ],
      confidence: { overall: 0.417, level: 'medium', regular_items: 0.3, evidence: 0.5 },
      event_count: 50,
      last_updated: '2026-11-26T11:00:00.000Z',
      last_event_at: '2026-11-26T11:00:00.000Z',
      patterns_as_of: '2026-11-26T03:00:00.000Z',
    });
  });

  it('says learning is off, and shows nothing, when the shopper switched learn_preferences off', () => {
    const status = learningStatus(SHOPPER, { ...document, privacy: { learn_preferences: false, learn_brands: true } }, NOW);

    expect(LearningStatus.parse(status)).toEqual({
      user_id: SHOPPER,
      state: 'off',
      regular_item_count: 0,
      top_brands: [],
      confidence: { overall: 0, level: 'none', regular_items: 0, evidence: 0 },
      event_count: 0,
      last_updated: null,
      last_event_at: null,
      patterns_as_of: null,
    });
  });

  it('names no brand while learn_brands is off, and keeps the rest', () => {
    const status = learningStatus(SHOPPER, { ...document, privacy: { learn_preferences: true, learn_brands: false } }, NOW);

    expect(status.top_brands).toEqual([]);
    expect(status).toMatchObject({ state: 'learning', regular_item_count: 3, confidence: { overall: 0.417 } });
  });

  it('has not started for a shopper with no document', () => {
    expect(learningStatus(SHOPPER, { learned: null, patterns: null, privacy: ON }, NOW)).toMatchObject({
      state: 'not_started',
      regular_item_count: 0,
      confidence: { overall: 0, level: 'none' },
      last_updated: null,
    });
  });

  it('reads the patterns alone when the patterns job wrote the document first', () => {
    const status = learningStatus(SHOPPER, { learned: null, patterns: document.patterns, privacy: ON }, NOW);

    // Items 0.4 and 0.2, mean 0.3; no events learned: 0.5 × 0.3 / 0.9 = 0.167, low.
    expect(status).toMatchObject({
      state: 'learning',
      regular_item_count: 2,
      top_brands: [
        { name: 'Hovis', strength: 0.6 },
        { name: 'Lurpak', strength: 0.5 },
        { name: 'Oatly', strength: 0.3 },
      ],
      confidence: { overall: 0.167, level: 'low', regular_items: 0.3, evidence: 0 },
      event_count: 0,
      last_updated: '2026-11-26T03:00:00.000Z',
      last_event_at: null,
    });
  });

  it('decays real-time brand affinities to now: two half-lives later 1.1 reads 0.275', () => {
    const later = new Date(NOW.getTime() + 28 * 86_400_000);
    const status = learningStatus(SHOPPER, { learned: document.learned, patterns: null, privacy: ON }, later);

    // tanh(1.1 / 4) = 0.2683, tanh(0.3 / 4) = 0.0749.
    expect(status.top_brands).toEqual([
      { name: 'Oatly', strength: 0.268 },
      { name: 'Alpro', strength: 0.075 },
    ]);
  });

  it('names at most five brands, strongest first, ties by name', () => {
    const many = patterns({ brands: ['f', 'e', 'd', 'c', 'b', 'a'].map((name) => brand(name, 0.1)) });
    const status = learningStatus(SHOPPER, { learned: null, patterns: many, privacy: ON }, NOW);

    expect(status.top_brands.map((b) => b.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('overallConfidence', () => {
  it.each([
    // [item confidences, events, overall, level]: 0.5 × min(1, mean / 0.9) + 0.5 × n / (n + 50)
    [[], 0, 0, 'none'],
    [[], 50, 0.25, 'low'],
    [[0.9, 0.9], 0, 0.5, 'medium'],
    [[0.9], 450, 0.95, 'high'],
    [[0.2], 20, 0.254, 'low'],
    [[0.6, 0.3], 150, 0.625, 'medium'],
  ] as const)('items %j with %i events → %d (%s)', (items, events, overall, level) => {
    expect(overallConfidence(items, events)).toMatchObject({ overall, level });
  });
});
