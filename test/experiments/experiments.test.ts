import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClientEvent } from '../../functions/events/schema.ts';
import {
  assignArm,
  assignArms,
  bucketOf,
  DEFAULT_EXPERIMENT,
  isControl,
  parseExperiments,
  type Experiment,
} from '../../functions/experiments/experiments.ts';
import { validEvent } from '../support/fixtures.ts';

const SHOPPERS = Array.from({ length: 100_000 }, (_, i) => `shopper-${i}`);
const shares = (experiment: Experiment) => {
  const counts = new Map<string, number>();
  for (const userId of SHOPPERS) {
    const arm = assignArm(experiment, userId);
    counts.set(arm, (counts.get(arm) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].map(([arm, n]) => [arm, n / SHOPPERS.length]));
};
const twoArms = (id: string, control: number, treatment: number): Experiment => ({
  id,
  control: 'control',
  arms: [
    { name: 'control', weight: control },
    { name: 'treatment', weight: treatment },
  ],
});

describe('experiment assignment', () => {
  it('is sticky: the same shopper gets the same arm on every call and every deployment', () => {
    for (const userId of SHOPPERS.slice(0, 1000)) expect(assignArm(DEFAULT_EXPERIMENT, userId)).toBe(assignArm(DEFAULT_EXPERIMENT, userId));
    // Pinned: a change to the hash or the slicing would move shoppers between arms mid-experiment.
    expect(['shopper-1', 'shopper-2', 'shopper-3', 'shopper-4'].map((u) => assignArm(DEFAULT_EXPERIMENT, u))).toEqual([
      'personalized',
      'personalized',
      'control',
      'control',
    ]);
    expect(bucketOf('personalization', 'shopper-1')).toBeCloseTo(0.74003244, 8);
  });

  it('places a shopper by the first 48 bits of SHA-256 of experiment id, NUL, user id', () => {
    const digest = createHash('sha256').update('personalization\u0000shopper-1').digest();
    expect(bucketOf('personalization', 'shopper-1')).toBe(digest.readUIntBE(0, 6) / 2 ** 48);
  });

  it('splits 100,000 shoppers 50/50 within ±1 percentage point', () => {
    const split = shares(DEFAULT_EXPERIMENT);
    expect(Object.keys(split).sort()).toEqual(['control', 'personalized']);
    expect(split.control).toBeGreaterThan(0.49);
    expect(split.control).toBeLessThan(0.51);
  });

  it('respects weights: 90/10, and 1:1:2 over three arms, within ±1 percentage point', () => {
    const ninety = shares(twoArms('checkout-copy', 9, 1));
    expect(Math.abs((ninety.control ?? 0) - 0.9)).toBeLessThan(0.01);
    expect(Math.abs((ninety.treatment ?? 0) - 0.1)).toBeLessThan(0.01);
    const three = shares({
      id: 'three',
      control: 'a',
      arms: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
        { name: 'c', weight: 2 },
      ],
    });
    expect(Math.abs((three.a ?? 0) - 0.25)).toBeLessThan(0.01);
    expect(Math.abs((three.b ?? 0) - 0.25)).toBeLessThan(0.01);
    expect(Math.abs((three.c ?? 0) - 0.5)).toBeLessThan(0.01);
  });

  it('spreads buckets uniformly: every tenth of [0, 1) holds 10% ± 0.5 points', () => {
    const buckets = SHOPPERS.map((userId) => bucketOf('personalization', userId));
    expect(buckets.every((b) => b >= 0 && b < 1)).toBe(true);
    const deciles = new Array<number>(10).fill(0);
    for (const b of buckets) deciles[Math.floor(b * 10)] = (deciles[Math.floor(b * 10)] ?? 0) + 1;
    for (const n of deciles) expect(Math.abs(n / SHOPPERS.length - 0.1)).toBeLessThan(0.005);
  });

  it('assigns independently across experiments: each pair of arms of two 50/50 experiments holds 25% ± 1 point', () => {
    const first = twoArms('first', 1, 1);
    const second = twoArms('second', 1, 1);
    const cells = new Map<string, number>();
    for (const userId of SHOPPERS) {
      const cell = `${assignArm(first, userId)}/${assignArm(second, userId)}`;
      cells.set(cell, (cells.get(cell) ?? 0) + 1);
    }
    expect(cells.size).toBe(4);
    for (const n of cells.values()) expect(Math.abs(n / SHOPPERS.length - 0.25)).toBeLessThan(0.01);
  });

  it('answers the arms of all experiments as context.experiments, which the event schema accepts', () => {
    const experiments = parseExperiments([DEFAULT_EXPERIMENT, twoArms('checkout-copy', 9, 1)]);
    const arms = assignArms(experiments, 'shopper-1');
    expect(arms).toEqual({ personalization: 'personalized', 'checkout-copy': assignArm(experiments[1] as Experiment, 'shopper-1') });
    const event = validEvent('search_performed', { context: { experiments: arms } });
    expect(ClientEvent.safeParse(event).success).toBe(true);
  });

  it('knows the control arm', () => {
    expect(isControl(DEFAULT_EXPERIMENT, 'control')).toBe(true);
    expect(isControl(DEFAULT_EXPERIMENT, 'personalized')).toBe(false);
  });
});

describe('experiment definitions', () => {
  it('accept the default experiment: personalization, control and personalized at 50/50', () => {
    expect(parseExperiments([DEFAULT_EXPERIMENT])).toEqual([
      {
        id: 'personalization',
        control: 'control',
        arms: [
          { name: 'control', weight: 50 },
          { name: 'personalized', weight: 50 },
        ],
      },
    ]);
  });

  it.each([
    ['a control arm that is not an arm', { ...twoArms('x', 1, 1), control: 'baseline' }, /control arm "baseline"/],
    [
      'arms named twice',
      {
        id: 'x',
        control: 'a',
        arms: [
          { name: 'a', weight: 1 },
          { name: 'a', weight: 1 },
        ],
      },
      /unique/,
    ],
    ['a weight of 0', twoArms('x', 1, 0), /arms/],
    ['a negative weight', twoArms('x', -1, 1), /arms/],
    ['an infinite weight', twoArms('x', Number.POSITIVE_INFINITY, 1), /arms/],
    ['a single arm', { id: 'x', control: 'a', arms: [{ name: 'a', weight: 1 }] }, /arms/],
    ['an id with upper case or spaces', twoArms('New Ranking', 1, 1), /id/],
    [
      'an arm name too long',
      {
        id: 'x',
        control: 'c',
        arms: [
          { name: 'c', weight: 1 },
          { name: 'a'.repeat(65), weight: 1 },
        ],
      },
      /arms/,
    ],
    ['an unknown field', { ...twoArms('x', 1, 1), salt: 'pepper' }, /salt|unrecognized/i],
  ])('reject %s', (_, definition, message) => {
    expect(() => parseExperiments([definition])).toThrow(message);
  });

  it('reject two experiments with one id', () => {
    expect(() => parseExperiments([twoArms('x', 1, 1), twoArms('x', 1, 3)])).toThrow(/unique/);
  });
});
