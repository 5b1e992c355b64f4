import { describe, expect, it } from 'vitest';
import { runInProcess } from './in-process.ts';

// The in-process run: the simulation's trips learned without the pipeline, for trying a change quickly.

describe('the simulation in process', () => {
  it('learns every event once and answers the same for the same seed', async () => {
    const first = await runInProcess({ shoppers: 60, days: 9, seed: 5 });
    const again = await runInProcess({ shoppers: 60, days: 9, seed: 5 });
    expect(first.events).toBeGreaterThan(500);
    expect(first.learned).toBe(first.events);
    expect(again.score).toEqual(first.score);
    expect(first.searches.control).toBeGreaterThan(0);
    expect(first.searches.personalized).toBeGreaterThan(0);
    // After the first week there is something to score in every measure.
    expect(first.score.afterFirstWeek.fromDay).toBe(7);
    expect(first.score.afterFirstWeek.brand.denominator).toBeGreaterThan(0);
    // The ideal observer judges the loop's own pairs.
    expect(first.score.overall.brandIdeal.denominator).toBe(first.score.overall.brand.denominator);
    expect(first.score.overall.brandIdeal.numerator).toBeGreaterThan(0);
    expect(first.score.afterFirstWeek.ctr.personalized.denominator).toBeGreaterThan(0);
  });

  it('uses the ranking it is given: at strength 0 no search is re-ranked', async () => {
    const flat = await runInProcess({ shoppers: 60, days: 9, seed: 5, ranking: { strength: 0 } });
    expect(flat.searches.personalized).toBeUndefined();
    expect(flat.searches.no_signal).toBeGreaterThan(0);
    expect(flat.searches.control).toBeGreaterThan(0);
  });
});
