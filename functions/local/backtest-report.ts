import type { BacktestResult, BrandScore, ReorderScore } from '../history/backtest.ts';
import { escape, formatPercent } from '../operators/svg-charts.ts';

// The backtest's report: an HTML page with its figures and charts (inline SVG, no script) beside the JSON.

type Bar = { label: string; loop: number | null; baseline: number | null };

const ROW = 34;
const LEFT = 220;
const WIDTH = 640;

/** Horizontal bars, the loop's above the baseline's, per measure; every value a share in [0, 1]. */
export function pairedBars(id: string, title: string, description: string, bars: readonly Bar[]): string {
  const height = bars.length * ROW + 40;
  const scale = (v: number) => (WIDTH - LEFT - 70) * Math.max(0, Math.min(1, v));
  const rows = bars.map((bar, i) => {
    const y = 20 + i * ROW;
    const one = (value: number | null, dy: number, fill: string, who: string) =>
      value === null
        ? `<text x="${LEFT}" y="${y + dy + 10}" font-size="11" fill="#666">${who}: no prediction</text>`
        : `<rect x="${LEFT}" y="${y + dy}" width="${scale(value).toFixed(1)}" height="12" fill="${fill}"><title>${who}: ${formatPercent(value)}</title></rect>` +
          `<text x="${(LEFT + scale(value) + 6).toFixed(1)}" y="${y + dy + 10}" font-size="11">${formatPercent(value)}</text>`;
    return `<text x="${LEFT - 8}" y="${y + 16}" font-size="12" text-anchor="end">${escape(bar.label)}</text>${one(bar.loop, 0, '#1f77b4', 'loop')}${one(bar.baseline, 14, '#bbbbbb', 'baseline')}`;
  });
  return (
    `<figure><svg id="${escape(id)}" role="img" aria-labelledby="${escape(id)}-title ${escape(id)}-desc" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">` +
    `<title id="${escape(id)}-title">${escape(title)}</title><desc id="${escape(id)}-desc">${escape(description)} Blue: the loop; grey: the naive baseline.</desc>` +
    `${rows.join('')}</svg><figcaption>${escape(title)}</figcaption></figure>`
  );
}

const pct = (v: number | null) => (v === null ? '—' : formatPercent(v));
const signed = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} points`);

function reorderRow(name: string, s: ReorderScore): string {
  return `| ${name} | ${pct(s.precision)} (${s.hits} / ${s.predicted}) | ${pct(s.recall)} (${s.hits} / ${s.reorders}) | ${pct(s.f1)} | ${pct(s.mean_order_f1)} |`;
}

function brandCell(s: BrandScore): string {
  return s.rate === null ? '—' : `${pct(s.rate)} (${s.hits} / ${s.judged})`;
}

/** The figures as Markdown: what the page shows in its tables, and what the CLI prints. */
export function backtestSummary(r: BacktestResult): string {
  const { loop, baseline, lift } = r.reorder;
  return [
    `# Backtest up to ${r.until}`,
    '',
    `${r.shoppers} shoppers who ordered before the cutoff and after it, each scored on their next order (${Math.round(r.ms / 1000)} s).`,
    '',
    '## Reorders: the products predicted due at the next order',
    '',
    '| predictor | precision | recall (of the reordered products) | F1 | mean F1 per order |',
    '| --- | --- | --- | --- | --- |',
    reorderRow('the loop (learning, patterns, the reorder rule)', loop),
    reorderRow('naive baseline (bought twice, a mean interval since)', baseline),
    `| the loop − baseline | ${signed(lift.precision)} | ${signed(lift.recall)} | ${signed(lift.f1)} | ${signed(lift.mean_order_f1)} |`,
    '',
    '## Brands: per category of the next order, is the brand the loop favours one it bought?',
    '',
    r.brand.loop.judged === 0 && r.brand.baseline.judged === 0
      ? 'No category of the next orders had a brand bought before (the history has no brands).'
      : [
          `Overall: the loop ${brandCell(r.brand.loop)}, the baseline (the brand bought most in the category) ${brandCell(r.brand.baseline)}.`,
          '',
          '| category | the loop | baseline |',
          '| --- | --- | --- |',
          ...r.brand.by_category.map((c) => `| ${c.category.replaceAll('|', '\\|')} | ${brandCell(c.loop)} | ${brandCell(c.baseline)} |`),
        ].join('\n'),
    '',
  ].join('\n');
}

export function backtestPage(r: BacktestResult): string {
  const charts = [
    pairedBars(
      'reorder',
      'Reorder predictions at the next order',
      'Precision, recall and F1 of the products predicted due, and the mean F1 per order.',
      [
        { label: 'precision', loop: r.reorder.loop.precision, baseline: r.reorder.baseline.precision },
        { label: 'recall', loop: r.reorder.loop.recall, baseline: r.reorder.baseline.recall },
        { label: 'F1', loop: r.reorder.loop.f1, baseline: r.reorder.baseline.f1 },
        { label: 'mean F1 per order', loop: r.reorder.loop.mean_order_f1, baseline: r.reorder.baseline.mean_order_f1 },
      ],
    ),
    ...(r.brand.by_category.length
      ? [
          pairedBars(
            'brands',
            'Brand hit rate per category',
            'Per category of the next orders: how often the brand the loop favours there was bought.',
            [
              { label: 'all categories', loop: r.brand.loop.rate, baseline: r.brand.baseline.rate },
              ...r.brand.by_category.map((c) => ({ label: c.category, loop: c.loop.rate, baseline: c.baseline.rate })),
            ],
          ),
        ]
      : []),
  ];
  const rows = backtestSummary(r)
    .split('\n')
    .map((line) =>
      line.startsWith('#')
        ? `<h${line.indexOf(' ')}>${escape(line.replace(/^#+ /, ''))}</h${line.indexOf(' ')}>`
        : line.startsWith('|')
          ? tableLine(line)
          : line
            ? `<p>${escape(line)}</p>`
            : '',
    );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Backtest up to ${escape(r.until)}</title>
<style>body{font:14px system-ui,sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head>
<body>${charts.join('')}${groupTables(rows).join('\n')}</body></html>\n`;
}

function tableLine(line: string): string {
  const cells = line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replaceAll('\\|', '|'));
  if (cells.every((c) => /^-+$/.test(c))) return '';
  return `<tr>${cells.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`;
}

/** Consecutive table rows inside one table. */
function groupTables(lines: string[]): string[] {
  const out: string[] = [];
  let open = false;
  for (const line of lines) {
    const row = line.startsWith('<tr>');
    if (row && !open) out.push('<table>');
    if (!row && open) out.push('</table>');
    open = row;
    if (line) out.push(line);
  }
  if (open) out.push('</table>');
  return out;
}
