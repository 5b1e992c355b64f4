import { describe, expect, it } from 'vitest';
import { ceilingLedger, ceilingSummary, type CeilingLedger } from './ceiling.ts';
import { runInProcess } from './in-process.ts';
import { fullOracle } from './oracle.ts';

// The ceiling: the personalized arm ranked by an oracle, against the same control arm, and where the loop's clicks go.

describe('a run ranked by the full oracle', () => {
  it('leaves the control arm as it is, shows the oracle’s order, and beats the loop’s personalized arm', async () => {
    const loop = ceilingLedger();
    const oracle = ceilingLedger();
    const byLoop = await runInProcess({ shoppers: 60, days: 9, seed: 5, searched: loop.searched });
    const byOracle = await runInProcess({ shoppers: 60, days: 9, seed: 5, rerank: fullOracle, searched: oracle.searched });
    const after = (run: typeof byLoop) => run.score.afterFirstWeek;
    expect(after(byOracle).ctr.control).toEqual(after(byLoop).ctr.control);
    expect(after(byOracle).ctr.personalized.value).toBeGreaterThan(after(byLoop).ctr.personalized.value ?? 1);
    const personalized = (ledger: CeilingLedger) => ledger.rows.filter((row) => row.segments.length > 0);
    expect(personalized(oracle).length).toBeGreaterThan(50);
    for (const row of personalized(oracle)) expect(row.clicks.shown).toBeCloseTo(row.clicks.oracle, 12);
    // The loop's order earns no more than the oracle's on any search.
    for (const row of personalized(loop)) expect(row.clicks.shown).toBeLessThanOrEqual(row.clicks.oracle + 1e-12);
  });
});

describe('the ceiling summary', () => {
  it('gives each order’s expected CTR and uplift over control, and the points the order shown leaves to each oracle', () => {
    const ledger: CeilingLedger = {
      searched: () => undefined,
      rows: [
        // The first week does not count.
        { day: 0, segments: [], clicks: { engine: 0.9, shown: 0.9, posterior: 0.9, informed: 0.9, oracle: 0.9 } },
        { day: 7, segments: [], clicks: { engine: 0.4, shown: 0.4, posterior: 0.4, informed: 0.4, oracle: 0.4 } },
        { day: 7, segments: ['all', 'need: need'], clicks: { engine: 0.4, shown: 0.5, posterior: 0.5, informed: 0.6, oracle: 0.8 } },
        { day: 8, segments: ['all', 'need: staple'], clicks: { engine: 0.4, shown: 0.5, posterior: 0.55, informed: 0.5, oracle: 0.6 } },
      ],
    };
    const summary = ceilingSummary(ledger, 7);
    expect(summary).toContain("control's 40.0% (1 searches)");
    // Shown 0.5, without parameters 0.525, informed 0.55, oracle 0.7 on average: +25%, +31.3%, +37.5%, +75% over 0.4.
    expect(summary).toContain(
      '| all | 2 | 40.0% | 50.0% | 52.5% | 55.0% | 70.0% | +25.0% / +31.3% / +37.5% / +75.0% | 6.3 / 12.5 / 50.0 |',
    );
    // The need's search leaves 0, 0.1 and 0.3 of the arm's 2 searches: 0, 12.5 and 37.5 points of uplift.
    expect(summary).toContain(
      '| need: need | 1 | 40.0% | 50.0% | 50.0% | 60.0% | 80.0% | +25.0% / +25.0% / +50.0% / +100.0% | 0.0 / 12.5 / 37.5 |',
    );
    expect(summary).toContain(
      '| need: staple | 1 | 40.0% | 50.0% | 55.0% | 50.0% | 60.0% | +25.0% / +37.5% / +25.0% / +50.0% | 6.3 / 0.0 / 12.5 |',
    );
  });
});
