import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { at, modelAt, readFigures, slicesReadersOf, withTables, type Figures } from '../bench/cost-model.ts';

const page = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8');

const FIGURES: Figures = {
  measured: { collect: 'c', ingest: 'i', batching: 'b' },
  collect: { cpuMicrosPerRequest: { one: 1_000, hundred: 10_900 }, bodyBytes: { one: 500, hundred: 50_000 } },
  ingest: {
    cpuMicrosPerMessage: { one: 2_000, hundred: 11_900 },
    firestoreWritesPerMessage: { one: 1, hundred: 1 },
    firestoreReadsPerMessage: { one: 2, hundred: 2 },
  },
  eventsPerRequest: 10,
};

const line = (eventsPerDay: number, item: string) => modelAt(eventsPerDay, FIGURES).lines.find((l) => l.item.startsWith(item))?.perMonth;

describe('docs/cost.md', () => {
  it('shows the tables the model computes from test/bench/figures.json (npm run cost rewrites them)', () => {
    expect(withTables(page, readFigures())).toBe(page);
  });
});

describe('the cost model', () => {
  it('interpolates a figure between its 1-event and 100-event measurements', () => {
    expect(at({ one: 1_000, hundred: 10_900 }, 1)).toBe(1_000);
    expect(at({ one: 1_000, hundred: 10_900 }, 10)).toBe(1_900);
    expect(at({ one: 1_000, hundred: 10_900 }, 100)).toBe(10_900);
  });

  it('prices Firestore by the writes and reads per message at the batching given', () => {
    // 1 M events a day in 100,000 messages of 10: 100,000 writes a day at $0.18 per 100,000, for 30 days.
    expect(line(1_000_000, 'Firestore writes')).toBeCloseTo(0.18 * 30, 9);
    // 200,000 reads by ingest and 100,000 by search at $0.06 per 100,000.
    expect(line(1_000_000, 'Firestore reads')).toBeCloseTo(3 * 0.06 * 30, 9);
  });

  it('bills an instance for its CPU time over the utilization, with its memory and requests', () => {
    // 100,000 requests × 1.9 ms = 190 CPU-s a day, 380 billed s at 1 vCPU and 0.5 GiB, plus $0.40 per million requests.
    expect(line(1_000_000, 'collect')).toBeCloseTo((380 * (0.000024 + 0.5 * 0.0000025) + 0.1 * 0.4) * 30, 9);
  });

  it('bills Pub/Sub for the publish and the push of each message, at least 1 kB each', () => {
    // A 10-event message is 5,000 bytes: 2 × 100,000 × 5,000 bytes a day at $40 per TiB.
    expect(line(1_000_000, 'Pub/Sub')).toBeCloseTo(((2 * 100_000 * 5_000) / 2 ** 40) * 40 * 30, 9);
  });

  it('counts the slices’ queries that read each staged table from their files', () => {
    // The seven analyses and reorder_outcomes.sql read the order lines; brand and category preferences the engagement.
    expect(slicesReadersOf('order_lines_staging')).toBe(8);
    expect(slicesReadersOf('engagement_staging')).toBe(2);
  });

  it('scans the 180-day window once a night, and the staged rows once per slice query, whatever the number of slices', () => {
    // 100 M events a day over 180 days: 1.8e10 events. The run's staging reads 132 bytes of each (120 + 0.12 lines × 100),
    // 2.376e12 bytes. It stages 0.12 × 100 = 12 bytes of lines per event, 2.16e11, which the slices' copy and their
    // eight queries read: 9 × 2.16e11 = 1.944e12. And 0.3 × 120 = 36 bytes of engagement, 6.48e11, read by the copy and
    // two queries: 1.944e12. 6.264e12 bytes a night, about 5.7 TiB, at $6.25 a TiB for 30 nights: about $1,068.
    const scan = line(100_000_000, 'BigQuery nightly')!;
    expect(scan).toBeCloseTo((6.264e12 / 2 ** 40) * 6.25 * 30, 6);
    expect(Math.round(scan)).toBe(1_068);
    // So ten times the traffic costs ten times the scan: not a hundred, as when each slice scanned the window again.
    expect(scan / line(10_000_000, 'BigQuery nightly')!).toBeCloseTo(10, 9);
  });

  it('names the limit nearest to being met in the peak hour', () => {
    const uses = modelAt(100_000_000, FIGURES).limits;
    const slots = uses.find((u) => u.limit.startsWith('BigQuery slots'))!;
    expect(slots.used).toBeCloseTo(6.264e12 / 50e6 / (2_000 * 1_800), 9);
    // 100 M a day at 3× the mean is 3,472 events/s, 347 requests/s × 1.9 ms ÷ 0.5 = 1.32 vCPUs of collect's 20.
    expect(uses.find((u) => u.limit.startsWith('collect'))!.used).toBeCloseTo(((1e8 / 10 / 86_400) * 3 * 0.0019) / 0.5 / 20, 9);
  });
});
