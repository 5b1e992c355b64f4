/**
 * Charts as inline SVG, drawn on the server: the dashboard needs no script and no network. Each chart
 * is an `<svg role="img">` with a `<title>` and a `<desc>` that says what the data is, axes with tick
 * labels and a title, a legend, and one `<g class="series" data-series="…">` per series, whose marks
 * (`circle.point`, `polyline.line`, `.interval`, `rect.bar`) carry a `<title>` each where they stand for
 * one value. Pure functions of their input; every text is escaped.
 */

export const WIDTH = 720;
export const HEIGHT = 300;
/** Room for the legend above, the y ticks on the left, the x ticks and the axis title below. */
export const MARGIN = { top: 40, right: 40, bottom: 48, left: 64 } as const;
export const PLOT = { left: MARGIN.left, right: WIDTH - MARGIN.right, top: MARGIN.top, bottom: HEIGHT - MARGIN.bottom } as const;

/** Okabe and Ito's palette, told apart with any colour vision. */
export const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#F0E442'] as const;
/** The colour of a failed job run, whatever its job. */
export const FAILED_COLOUR = '#D55E00';

export type ChartPoint = {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
  /** The interval around `value`, drawn as a band (or an error bar where a point has no neighbour with one). */
  low?: number | null;
  high?: number | null;
  /** A failed job run: drawn hollow, in FAILED_COLOUR. */
  failed?: boolean;
};
export type ChartSeries = { name: string; points: ChartPoint[] };

export type LineChartSpec = {
  id: string;
  title: string;
  /** One sentence on what is drawn; the chart's `<desc>` adds what each series holds. */
  description: string;
  /** The time axis, milliseconds since the epoch. */
  from: number;
  to: number;
  yLabel: string;
  series: ChartSeries[];
  /** Fixes the top of the y axis (e.g. 1 for a share); otherwise a round number above the largest value. */
  yMax?: number;
  format?: (value: number) => string;
  /** Counts: no tick between whole numbers. */
  integers?: boolean;
  /** Draw each point as a circle. Default true; a line of a thousand minutes is better without. */
  markers?: boolean;
  /** Join the points. Default true. */
  line?: boolean;
};

export type BarChartSpec = {
  id: string;
  title: string;
  description: string;
  /** Start of each bucket, ms since the epoch, oldest first, each `bucketMs` long. */
  buckets: number[];
  bucketMs: number;
  yLabel: string;
  /** Stacked in this order, bottom first; `values[i]` belongs to `buckets[i]`. */
  series: { name: string; values: number[] }[];
  format?: (value: number) => string;
};

type Scale = (value: number) => number;

export function lineChart(spec: LineChartSpec): string {
  const format = spec.format ?? formatNumber;
  const series = spec.series.filter((s) => s.points.length > 0);
  const values = series.flatMap((s) => s.points.flatMap((p) => [p.value, p.high ?? p.value]));
  const yTicks = niceTicks(spec.yMax ?? Math.max(0, ...values), spec.integers);
  const yTop = yTicks.at(-1) ?? 1;
  const x = linear(spec.from, spec.to, PLOT.left, PLOT.right);
  const y = linear(0, yTop, PLOT.bottom, PLOT.top);
  const failures = series.some((s) => s.points.some((p) => p.failed));

  const body = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? COLOURS[0];
    const marks: string[] = [...intervals(s.points, x, y, colour, s.name, format)];
    if (spec.line ?? true) {
      const points = s.points.map((p) => `${fixed(x(p.at))},${fixed(y(p.value))}`).join(' ');
      marks.push(`<polyline class="line" points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    if (spec.markers ?? true) {
      for (const p of s.points) {
        const label = `${s.name}, ${timeLabel(p.at)}: ${format(p.value)}${intervalLabel(p, format)}${p.failed ? ' (failed)' : ''}`;
        const paint = p.failed ? `fill="#ffffff" stroke="${FAILED_COLOUR}" stroke-width="2"` : `fill="${colour}"`;
        marks.push(
          `<circle class="point${p.failed ? ' failed' : ''}" cx="${fixed(x(p.at))}" cy="${fixed(y(p.value))}" r="${p.failed ? 5 : 3.5}" ${paint}><title>${escape(label)}</title></circle>`,
        );
      }
    }
    return `<g class="series" data-series="${escape(s.name)}" data-points="${s.points.length}">${marks.join('')}</g>`;
  });

  const legend = legendOf([
    ...series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length] ?? COLOURS[0] })),
    ...(failures ? [{ name: 'failed run', colour: FAILED_COLOUR }] : []),
  ]);
  const summary = series.map((s) => {
    const last = s.points.at(-1);
    return `${s.name}: ${s.points.length} point${s.points.length === 1 ? '' : 's'}${last ? `, latest ${format(last.value)}${intervalLabel(last, format)} at ${timeLabel(last.at)}` : ''}.`;
  });
  return frame(spec, summary, [
    yAxis(yTicks, y, spec.yLabel, format),
    xAxis(timeTicks(spec.from, spec.to), x, spec.from, spec.to),
    legend,
    ...(series.length ? body : [empty()]),
  ]);
}

export function barChart(spec: BarChartSpec): string {
  const format = spec.format ?? formatNumber;
  const totals = spec.buckets.map((_, i) => spec.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const yTicks = niceTicks(Math.max(0, ...totals), true);
  const yTop = yTicks.at(-1) ?? 1;
  const from = spec.buckets[0] ?? 0;
  const to = (spec.buckets.at(-1) ?? 0) + spec.bucketMs;
  const x = linear(from, to, PLOT.left, PLOT.right);
  const y = linear(0, yTop, PLOT.bottom, PLOT.top);
  const width = Math.max(1, x(from + spec.bucketMs) - x(from) - 2);
  const stacked = spec.buckets.map(() => 0);

  const series = spec.series.filter((s) => s.values.some((v) => v > 0));
  const body = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? COLOURS[0];
    const bars: string[] = [];
    spec.buckets.forEach((at, b) => {
      const value = s.values[b] ?? 0;
      if (value <= 0) return;
      const base = stacked[b] ?? 0;
      stacked[b] = base + value;
      const top = y(base + value);
      const label = `${s.name}, ${timeLabel(at)}: ${format(value)}`;
      bars.push(
        `<rect class="bar" x="${fixed(x(at) + 1)}" y="${fixed(top)}" width="${fixed(width)}" height="${fixed(y(base) - top)}" fill="${colour}"><title>${escape(label)}</title></rect>`,
      );
    });
    return `<g class="series" data-series="${escape(s.name)}" data-bars="${bars.length}">${bars.join('')}</g>`;
  });

  const summary = series.map(
    (s) =>
      `${s.name}: ${format(s.values.reduce((sum, v) => sum + v, 0))} in all, in ${s.values.filter((v) => v > 0).length} of ${spec.buckets.length} buckets.`,
  );
  return frame(spec, summary, [
    yAxis(yTicks, y, spec.yLabel, format),
    xAxis(timeTicks(from, to), x, from, to),
    legendOf(series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length] ?? COLOURS[0] }))),
    ...(series.length ? body : [empty()]),
  ]);
}

function frame(spec: { id: string; title: string; description: string }, summary: string[], parts: string[]): string {
  const id = escape(spec.id);
  const desc = [spec.description, ...(summary.length ? summary : ['No data in this window.'])].join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">`,
    `<title id="${id}-title">${escape(spec.title)}</title>`,
    `<desc id="${id}-desc">${escape(desc)}</desc>`,
    ...parts,
    '</svg>',
  ].join('');
}

/**
 * The interval of a series: a band over each run of consecutive points that have one, and an error bar
 * for a point alone with one (a band one point wide would not show).
 */
function intervals(points: ChartPoint[], x: Scale, y: Scale, colour: string, name: string, format: (v: number) => string): string[] {
  const runs: ChartPoint[][] = [];
  let run: ChartPoint[] = [];
  for (const p of points) {
    if (hasInterval(p)) run.push(p);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs.map((r) => {
    const title = `<title>${escape(`${name}: interval`)}</title>`;
    if (r.length === 1) {
      const [p] = r as [ChartPoint];
      const label = `<title>${escape(`${name}, ${timeLabel(p.at)}: interval${intervalLabel(p, format)}`)}</title>`;
      return `<line class="interval" x1="${fixed(x(p.at))}" x2="${fixed(x(p.at))}" y1="${fixed(y(p.low ?? 0))}" y2="${fixed(y(p.high ?? 0))}" stroke="${colour}" stroke-width="6" stroke-opacity="0.3">${label}</line>`;
    }
    const upper = r.map((p) => `${fixed(x(p.at))},${fixed(y(p.high ?? 0))}`);
    const lower = r.toReversed().map((p) => `${fixed(x(p.at))},${fixed(y(p.low ?? 0))}`);
    return `<path class="interval" d="M${[...upper, ...lower].join('L')}Z" fill="${colour}" fill-opacity="0.2" stroke="none">${title}</path>`;
  });
}

function hasInterval(p: ChartPoint): boolean {
  return typeof p.low === 'number' && typeof p.high === 'number' && Number.isFinite(p.low) && Number.isFinite(p.high);
}

function intervalLabel(p: ChartPoint, format: (v: number) => string): string {
  return hasInterval(p) ? ` (${format(p.low ?? 0)}–${format(p.high ?? 0)})` : '';
}

function yAxis(ticks: number[], y: Scale, label: string, format: (v: number) => string): string {
  const marks = ticks.map(
    (t) =>
      `<g class="tick"><line x1="${PLOT.left}" x2="${PLOT.right}" y1="${fixed(y(t))}" y2="${fixed(y(t))}" stroke="#dddddd"/>` +
      `<text x="${PLOT.left - 6}" y="${fixed(y(t) + 4)}" text-anchor="end" font-size="11">${escape(format(t))}</text></g>`,
  );
  const middle = (PLOT.top + PLOT.bottom) / 2;
  return (
    `<g class="axis y-axis">${marks.join('')}<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#333333"/>` +
    `<text class="axis-title" transform="translate(14 ${middle}) rotate(-90)" text-anchor="middle" font-size="12">${escape(label)}</text></g>`
  );
}

function xAxis(ticks: { at: number; label: string }[], x: Scale, from: number, to: number): string {
  const marks = ticks.map(
    (t) =>
      `<g class="tick"><line x1="${fixed(x(t.at))}" x2="${fixed(x(t.at))}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" stroke="#333333"/>` +
      `<text x="${fixed(x(t.at))}" y="${PLOT.bottom + 18}" text-anchor="middle" font-size="11">${escape(t.label)}</text></g>`,
  );
  const title = to - from > DAY_MS ? 'date (UTC)' : 'time (UTC)';
  return (
    `<g class="axis x-axis"><line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" stroke="#333333"/>${marks.join('')}` +
    `<text class="axis-title" x="${(PLOT.left + PLOT.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="12">${title}</text></g>`
  );
}

/** One row of swatches and names above the plot. */
function legendOf(items: { name: string; colour: string }[]): string {
  let left = PLOT.left;
  const entries = items.map(({ name, colour }) => {
    const entry =
      `<g class="legend-item" data-series="${escape(name)}"><rect x="${left}" y="12" width="12" height="12" fill="${colour}"/>` +
      `<text x="${left + 17}" y="22" font-size="12">${escape(name)}</text></g>`;
    // About 7 px a character at 12 px: enough to keep the names apart.
    left += 17 + name.length * 7 + 16;
    return entry;
  });
  return `<g class="legend">${entries.join('')}</g>`;
}

function empty(): string {
  return `<text class="empty" x="${(PLOT.left + PLOT.right) / 2}" y="${(PLOT.top + PLOT.bottom) / 2}" text-anchor="middle" font-size="13" fill="#666666">No data in this window</text>`;
}

/** Maps [d0, d1] onto [r0, r1]; a domain of one value maps to the middle. */
export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** 0 and round steps (1, 2 or 5 × 10ⁿ; whole numbers for `integers`) up to the first at or above `max`: at most 6 ticks. */
export function niceTicks(max: number, integers = false): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const step = integers ? Math.max(1, nice) : nice;
  const count = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const TIME_STEPS = [
  MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  2 * DAY_MS,
  7 * DAY_MS,
  14 * DAY_MS,
  30 * DAY_MS,
];

/** Ticks at whole UTC steps within [from, to], the finest step giving at most 8: `HH:MM` within a day, else `MM-DD` (with the time when steps are shorter than a day). */
export function timeTicks(from: number, to: number): { at: number; label: string }[] {
  const step = TIME_STEPS.find((s) => (to - from) / s <= 8) ?? TIME_STEPS.at(-1) ?? DAY_MS;
  const ticks: { at: number; label: string }[] = [];
  for (let at = Math.ceil(from / step) * step; at <= to; at += step) {
    const iso = new Date(at).toISOString();
    const label = step >= DAY_MS ? iso.slice(5, 10) : to - from > DAY_MS ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
    ticks.push({ at, label });
  }
  return ticks;
}

/** `2026-11-26 12:00` (UTC), as the tooltips name a point. */
export function timeLabel(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** Up to three decimals, without trailing zeros; thousands as they are. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

export function formatPercent(value: number): string {
  return `${(Math.round(value * 1000) / 10).toFixed(1)}%`;
}

/** Seconds as `45 s`, `2.5 min` or `1.5 h`. */
export function formatSeconds(value: number): string {
  if (Math.abs(value) >= 3600) return `${formatNumber(Math.round((value / 3600) * 10) / 10)} h`;
  if (Math.abs(value) >= 60) return `${formatNumber(Math.round((value / 60) * 10) / 10)} min`;
  return `${formatNumber(value)} s`;
}

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
