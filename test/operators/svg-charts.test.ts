import { describe, expect, it } from 'vitest';
import {
  barChart,
  escape,
  formatPercent,
  formatSeconds,
  lineChart,
  niceTicks,
  PLOT,
  timeTicks,
  type LineChartSpec,
} from '../../functions/operators/svg-charts.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-26T00:00:00.000Z');

/** Attribute values of every element with the class, in document order. */
function attributes(svg: string, element: string, cls: string, attribute: string): string[] {
  const tags = svg.match(new RegExp(`<${element} class="${cls}"[^>]*>`, 'g')) ?? [];
  return tags.map((tag) => new RegExp(`\\b${attribute}="([^"]*)"`).exec(tag)?.[1] ?? '');
}

// The plot spans x 64 to 680 (616 px) and y 252 (bottom) to 40 (top, 212 px).
const line: LineChartSpec = {
  id: 'lag',
  title: 'Lag',
  description: 'How late.',
  from: T0,
  to: T0 + 4 * HOUR,
  yLabel: 'seconds',
  series: [
    {
      name: 'p95',
      points: [
        { at: T0, value: 0 },
        { at: T0 + 2 * HOUR, value: 5, low: 4, high: 6 },
        { at: T0 + 4 * HOUR, value: 10, low: 8, high: 10 },
      ],
    },
  ],
};

describe('lineChart', () => {
  it('is an accessible image: a title, a description of each series, axis titles and a legend', () => {
    const svg = lineChart(line);

    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart" id="lag" role="img" aria-labelledby="lag-title" aria-describedby="lag-desc" viewBox="0 0 720 300"/,
    );
    expect(svg).toContain('<title id="lag-title">Lag</title>');
    expect(svg).toContain('<desc id="lag-desc">How late. p95: 3 points, latest 10 (8–10) at 2026-11-26 04:00.</desc>');
    expect(svg).toContain('>seconds</text>');
    expect(svg).toContain('>time (UTC)</text>');
    expect(attributes(svg, 'g', 'legend-item', 'data-series')).toEqual(['p95']);
  });

  it('places the points on the scales: 0 to 10 over 4 hours', () => {
    const svg = lineChart(line);

    // y ticks 0, 2, …, 10: y(v) = 252 − 21.2 v; x(t) = 64 + 154 t (t in hours).
    expect(attributes(svg, 'polyline', 'line', 'points')).toEqual(['64,252 372,146 680,40']);
    expect(attributes(svg, 'circle', 'point', 'cx')).toEqual(['64', '372', '680']);
    expect(attributes(svg, 'circle', 'point', 'cy')).toEqual(['252', '146', '40']);
    expect(svg.match(/<g class="tick">/g)).toHaveLength(6 + 9);
    expect(svg).toContain('>10</text>');
  });

  it('draws the interval as a band over consecutive points that have one: high edge forward, low edge back', () => {
    const svg = lineChart(line);

    // y(6) = 124.8, y(10) = 40, y(8) = 82.4, y(4) = 167.2.
    expect(attributes(svg, 'path', 'interval', 'd')).toEqual(['M372,124.8L680,40L680,82.4L372,167.2Z']);
    expect(svg).toContain('<title>p95, 2026-11-26 02:00: 5 (4–6)</title>');
  });

  it('draws an error bar for a point whose neighbours have no interval', () => {
    const svg = lineChart({
      ...line,
      series: [
        {
          name: 'arm',
          points: [
            { at: T0, value: 1 },
            { at: T0 + HOUR, value: 2, low: 1, high: 3 },
            { at: T0 + 2 * HOUR, value: 2 },
          ],
        },
      ],
    });

    // Ticks 0 to 3 (the largest value is the interval's 3): y(v) = 252 − 212 v / 3; x(1 h) = 64 + 154.
    expect(attributes(svg, 'line', 'interval', 'y1')).toEqual(['181.33']);
    expect(attributes(svg, 'line', 'interval', 'y2')).toEqual(['40']);
    expect(attributes(svg, 'line', 'interval', 'x1')).toEqual(['218']);
  });

  it('draws failed points hollow and says so in the legend', () => {
    const svg = lineChart({
      ...line,
      series: [
        {
          name: 'patterns',
          points: [
            { at: T0, value: 600 },
            { at: T0 + HOUR, value: 90, failed: true },
          ],
        },
      ],
    });

    expect(attributes(svg, 'circle', 'point failed', 'fill')).toEqual(['#ffffff']);
    expect(attributes(svg, 'g', 'legend-item', 'data-series')).toEqual(['patterns', 'failed run']);
    expect(svg).toContain('(failed)</title>');
  });

  it('may leave the markers out: a line of every minute', () => {
    const points = Array.from({ length: 180 }, (_, i) => ({ at: T0 + i * 60_000, value: i % 7 }));
    const svg = lineChart({ ...line, series: [{ name: 'events', points }], markers: false });

    expect(svg).not.toContain('<circle');
    expect(attributes(svg, 'polyline', 'line', 'points')[0]?.split(' ')).toHaveLength(180);
    expect(attributes(svg, 'g', 'series', 'data-points')).toEqual(['180']);
  });

  it('says so when there is nothing to draw', () => {
    const svg = lineChart({ ...line, series: [{ name: 'none', points: [] }] });

    expect(svg).toContain('No data in this window</text>');
    expect(svg).toContain('How late. No data in this window.');
    expect(svg).not.toContain('class="series"');
  });

  it('escapes every text it is given', () => {
    const svg = lineChart({
      ...line,
      id: 'x"y',
      title: 'a < b',
      series: [{ name: '<script>alert(1)</script>', points: [{ at: T0, value: 1 }] }],
    });

    expect(svg).not.toContain('<script>');
    expect(svg).toContain('data-series="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(svg).toContain('id="x&quot;y"');
    expect(svg).toContain('<title id="x&quot;y-title">a &lt; b</title>');
  });
});

describe('barChart', () => {
  const bars = barChart({
    id: 'rejected',
    title: 'Rejected',
    description: 'Per hour.',
    buckets: [T0, T0 + HOUR, T0 + 2 * HOUR],
    bucketMs: HOUR,
    yLabel: 'rejected per hour',
    series: [
      { name: 'collect', values: [2, 0, 1] },
      { name: 'ingest', values: [1, 0, 0] },
      { name: 'store-rejected', values: [0, 0, 0] },
    ],
  });

  it('stacks the series per bucket, bottom first, one bar per non-zero count', () => {
    // Three hours over 616 px: 205.33 each, bars 2 px narrower. Ticks 0 to 3: y(v) = 252 − 70.67 v.
    expect(attributes(bars, 'rect', 'bar', 'x')).toEqual(['65', '475.67', '65']);
    expect(attributes(bars, 'rect', 'bar', 'y')).toEqual(['110.67', '181.33', '40']);
    expect(attributes(bars, 'rect', 'bar', 'height')).toEqual(['141.33', '70.67', '70.67']);
    expect(attributes(bars, 'rect', 'bar', 'width')).toEqual(['203.33', '203.33', '203.33']);
    expect(attributes(bars, 'g', 'series', 'data-bars')).toEqual(['2', '1']);
  });

  it('leaves a series with nothing out of the legend and says what each holds', () => {
    expect(attributes(bars, 'g', 'legend-item', 'data-series')).toEqual(['collect', 'ingest']);
    expect(bars).toContain('Per hour. collect: 3 in all, in 2 of 3 buckets. ingest: 1 in all, in 1 of 3 buckets.');
    expect(bars).toContain('<title>ingest, 2026-11-26 00:00: 1</title>');
  });
});

describe('scales and labels', () => {
  it.each([
    [0, [0, 1]],
    [1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0.05, [0, 0.01, 0.02, 0.03, 0.04, 0.05]],
    [3, [0, 1, 2, 3]],
    [7, [0, 2, 4, 6, 8]],
    [120, [0, 50, 100, 150]],
  ])('niceTicks(%d) = %j', (max, ticks) => {
    expect(niceTicks(max)).toEqual(ticks);
  });

  it('ticks counts at whole numbers only', () => {
    expect(niceTicks(2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(2, true)).toEqual([0, 1, 2]);
    expect(niceTicks(40, true)).toEqual([0, 10, 20, 30, 40]);
  });

  it('ticks time at the finest whole UTC step giving at most 8: half hours over 4 hours, half days over 2 days, weeks over 3', () => {
    expect(timeTicks(T0, T0 + 4 * HOUR).map((t) => t.label)).toEqual([
      '00:00',
      '00:30',
      '01:00',
      '01:30',
      '02:00',
      '02:30',
      '03:00',
      '03:30',
      '04:00',
    ]);
    // 48.5 hours: 6-hour steps would be 8.08 of them.
    expect(timeTicks(T0 - 30 * 60_000, T0 + 48 * HOUR).map((t) => t.label)).toEqual([
      '11-26 00:00',
      '11-26 12:00',
      '11-27 00:00',
      '11-27 12:00',
      '11-28 00:00',
    ]);
    // Weeks counted from the epoch, a Thursday: 2026-11-26 is one.
    expect(timeTicks(T0, T0 + 21 * 24 * HOUR).map((t) => t.label)).toEqual(['11-26', '12-03', '12-10', '12-17']);
  });

  it('formats shares, durations and markup', () => {
    expect([formatPercent(0.1234), formatPercent(0.1), formatPercent(1)]).toEqual(['12.3%', '10.0%', '100.0%']);
    expect([formatSeconds(12.5), formatSeconds(90), formatSeconds(5400)]).toEqual(['12.5 s', '1.5 min', '1.5 h']);
    expect(escape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(PLOT).toEqual({ left: 64, right: 680, top: 40, bottom: 252 });
  });
});
