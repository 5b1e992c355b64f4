export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A signal as stored: `signal × 2^((eventTime − epoch) / halfLife)`. Scaling to a fixed epoch instead
 * of decaying in place makes every increment a plain sum, so increments commute.
 *
 * Range: a double overflows past 2^1024, so the factor stays finite for 1024 half-lives after the
 * epoch — 14,336 days, about 39 years with a 14-day half-life. Leaving 2^24 of headroom for sums
 * of millions of signals still gives about 38 years (to ~2064 from the 2026 epoch); move the epoch
 * long before then. Precision is relative, so the magnitude itself costs nothing.
 */
export function scaleToEpoch(signal: number, eventTime: Date, epoch: Date, halfLifeDays: number): number {
  return signal * 2 ** ((eventTime.getTime() - epoch.getTime()) / (halfLifeDays * DAY_MS));
}

/** What a stored weight is worth at `now`: `weight × 2^(−(now − epoch) / halfLife)`. */
export function currentValue(weight: number, now: Date, epoch: Date, halfLifeDays: number): number {
  return weight * 2 ** (-(now.getTime() - epoch.getTime()) / (halfLifeDays * DAY_MS));
}
