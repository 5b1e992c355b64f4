import { parseArgs } from 'node:util';
import { createLogger } from '../../functions/logging/logger.ts';
import { SIGNALS, type Signal } from '../../functions/search/index.ts';
import { ceilingLedger, ceilingSummary } from './ceiling.ts';
import { runInProcess } from './in-process.ts';
import { RANKERS, rankingOf, type Ranker } from './oracle.ts';
import { inProcessSummary, markdownSummary, writeReport } from './report.ts';
import { runSimulation } from './simulate.ts';

// `npm run simulate -- [--shoppers N] [--days N] [--history-days N] [--seed N] [--concurrency N] [--report DIR]
//   [--strength X] [--weight signal=X …] [--prior-weight X] [--no-promote] [--in-process [--ranker loop|oracle|shopper|informed]]`: the
// shopper simulation through the local stack. `--strength`, `--weight` and `--prior-weight` set the search service's ranking
// (the ranking weights' own loop, fit, trial and promotion, runs unless weights are set so; `--no-promote` keeps its
// challengers on trial, unpromoted); due predictions
// follow the reorder model the patterns job fits; `--in-process` runs the same trips
// straight into the learning code instead (see in-process.ts), to try a change in seconds. `--history-days` first
// shops that many days before the loop and imports their orders (history.ts). `--ranker` ranks the personalized arm
// with an oracle (oracle.ts) instead of the loop (`loop`: the loop's own), and adds where the clicks of the order shown
// are lost against the informed and the full oracle (ceiling.ts).
// Progress and logs go to stderr; the Markdown summary to stdout.

const { values } = parseArgs({
  allowNegative: true,
  options: {
    shoppers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '14' },
    'history-days': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    report: { type: 'string' },
    strength: { type: 'string' },
    'prior-weight': { type: 'string' },
    weight: { type: 'string', multiple: true },
    'in-process': { type: 'boolean', default: false },
    promote: { type: 'boolean', default: true },
    ranker: { type: 'string' },
  },
});
const number = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a whole number, got ${value}\n`);
    process.exit(2);
  }
  return n;
};
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};
const weights: Partial<Record<Signal, number>> = {};
for (const pair of values.weight ?? []) {
  const [signal = '', value = ''] = pair.split('=');
  if (!(SIGNALS as readonly string[]).includes(signal))
    fail(`--weight takes signal=value with a signal among ${SIGNALS.join(', ')}, got ${pair}`);
  const weight = Number(value);
  if (value === '' || !Number.isFinite(weight)) fail(`--weight ${signal} must be a number, got ${value}`);
  weights[signal as Signal] = weight;
}
const strength = values.strength === undefined ? undefined : Number(values.strength);
if (strength !== undefined && !(Number.isFinite(strength) && strength >= 0))
  fail(`--strength must be a number ≥ 0, got ${values.strength}`);
const priorWeight = values['prior-weight'] === undefined ? undefined : Number(values['prior-weight']);
if (priorWeight !== undefined && !(Number.isFinite(priorWeight) && priorWeight >= 0))
  fail(`--prior-weight must be a number ≥ 0, got ${values['prior-weight']}`);
const ranking = {
  ...(strength === undefined ? {} : { strength }),
  ...(priorWeight === undefined ? {} : { priorWeight }),
  ...(Object.keys(weights).length ? { weights } : {}),
};
const ranker: Ranker | undefined =
  values.ranker === undefined
    ? undefined
    : (RANKERS.find((r) => r === values.ranker) ?? fail(`--ranker takes one of ${RANKERS.join(', ')}, got ${values.ranker}`));
if (ranker !== undefined && !values['in-process']) fail('--ranker runs only with --in-process');
const logger = createLogger({ labels: { component: 'simulation' }, sink: (line) => process.stderr.write(`${line}\n`) });
const interactive = process.stderr.isTTY;
const started = Date.now();
let lastPlain = 0;
// A bar redrawn in place on a terminal; elsewhere (CI, a file) a plain line every 15 s.
const progress = (text: string, fraction: number) => {
  const width = 30;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${Math.round((Date.now() - started) / 1000)} s  ${text}`;
  if (interactive) process.stderr.write(`\r\x1b[2K${line}`);
  else if (Date.now() - lastPlain >= 15_000) {
    lastPlain = Date.now();
    process.stderr.write(`${line}\n`);
  }
};
try {
  if (values['in-process']) {
    const rerank = ranker === undefined ? null : rankingOf(ranker);
    const ceiling = ranker === undefined ? null : ceilingLedger();
    const result = await runInProcess({
      shoppers: number('shoppers', values.shoppers),
      days: number('days', values.days),
      seed: number('seed', values.seed),
      historyDays: number('history-days', values['history-days']),
      ranking,
      progress,
      ...(rerank ? { rerank } : {}),
      ...(ceiling ? { searched: ceiling.searched } : {}),
    });
    if (interactive) process.stderr.write('\n');
    process.stdout.write(inProcessSummary(result, ranking));
    if (ceiling)
      process.stdout.write(
        `\n### The personalized arm ranked by: ${ranker}\n\n${ceilingSummary(ceiling, result.score.afterFirstWeek.fromDay)}`,
      );
  } else {
    const result = await runSimulation({
      shoppers: number('shoppers', values.shoppers),
      days: number('days', values.days),
      seed: number('seed', values.seed),
      historyDays: number('history-days', values['history-days']),
      concurrency: number('concurrency', values.concurrency),
      ranking,
      promote: values.promote,
      logger: { ...logger, info: (m, f) => (interactive && process.stderr.write('\n'), logger.info(m, f)) },
      progress,
    });
    if (interactive) process.stderr.write('\n');
    if (values.report) for (const file of writeReport(result, values.report)) logger.info('report written', { file });
    process.stdout.write(markdownSummary(result));
  }
} catch (error) {
  if (interactive) process.stderr.write('\n');
  logger.error('simulation failed', { error });
  process.exitCode = 1;
}
