import { currentValue } from './decay.ts';

/**
 * A decayed affinity becomes `tanh(value / AFFINITY_SCALE)`: with the default learning signals one
 * click (0.3) reads 0.29, one order (0.9) 0.72, three orders 0.99. Absolute, not relative to the
 * shopper's strongest affinity, so one stray view does not count as much as a habit.
 */
export const AFFINITY_SCALE = 1;

/** An affinity's value (decayed to now) as a strength in [−1, 1]: what search ranks by and the learning status shows. */
export function affinityStrength(value: number): number {
  return Math.tanh(value / AFFINITY_SCALE);
}

/** The strength at `now` of a weight stored relative to `epoch` (see `scaleToEpoch`). */
export function strengthAt(weight: number, now: Date, epoch: Date, halfLifeDays: number): number {
  return affinityStrength(currentValue(weight, now, epoch, halfLifeDays));
}
