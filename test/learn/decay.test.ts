import { describe, expect, it } from 'vitest';
import { currentValue, scaleToEpoch } from '../../functions/learn/decay.ts';
import { learn } from '../../functions/learn/learn.ts';
import { DEFAULT_LEARNING_CONFIG } from '../../functions/learn/learning-config.ts';
import { NOW } from '../support/fixtures.ts';
import { collected, daysAfter, SHOPPER } from './collected.ts';

const EPOCH = new Date(DEFAULT_LEARNING_CONFIG.epoch);
const HALF_LIFE = 14;

describe('decay', () => {
  it('a signal is worth itself when it happens, half after one half-life, a quarter after two', () => {
    const at = new Date('2026-11-01T09:30:00.000Z');
    const stored = scaleToEpoch(0.8, at, EPOCH, HALF_LIFE);
    expect(currentValue(stored, at, EPOCH, HALF_LIFE)).toBeCloseTo(0.8, 12);
    expect(currentValue(stored, daysAfter(at, 14), EPOCH, HALF_LIFE)).toBeCloseTo(0.4, 12);
    expect(currentValue(stored, daysAfter(at, 28), EPOCH, HALF_LIFE)).toBeCloseTo(0.2, 12);
  });

  it('a learned click on a brand is worth 0.3 at once and 0.15 a half-life later', () => {
    const at = new Date(NOW.getTime() - 14 * 86_400_000);
    const doc = learn(null, SHOPPER, [collected('search_result_clicked', at)], NOW);
    const weight = doc.brands.Oatly?.weight ?? Number.NaN;
    expect(currentValue(weight, at, EPOCH, HALF_LIFE)).toBeCloseTo(0.3, 12);
    expect(currentValue(weight, NOW, EPOCH, HALF_LIFE)).toBeCloseTo(0.15, 12);
  });

  it('signals of different times add up, each decayed from its own time', () => {
    const first = new Date('2026-11-01T00:00:00.000Z');
    const stored = scaleToEpoch(1, first, EPOCH, HALF_LIFE) + scaleToEpoch(1, daysAfter(first, 14), EPOCH, HALF_LIFE);
    expect(currentValue(stored, daysAfter(first, 28), EPOCH, HALF_LIFE)).toBeCloseTo(0.25 + 0.5, 12);
  });

  it('stays finite for decades: 38 years after the epoch a million strong signals still sum finitely', () => {
    const later = daysAfter(EPOCH, 38 * 365.25);
    expect(Number.isFinite(scaleToEpoch(1, later, EPOCH, HALF_LIFE) * 1_000_000)).toBe(true);
    expect(currentValue(scaleToEpoch(0.5, later, EPOCH, HALF_LIFE), later, EPOCH, HALF_LIFE)).toBeCloseTo(0.5, 12);
    // …and not forever: at 1024 half-lives the factor overflows, so the epoch must move before then.
    expect(scaleToEpoch(1, daysAfter(EPOCH, 1024 * HALF_LIFE), EPOCH, HALF_LIFE)).toBe(Infinity);
  });
});
