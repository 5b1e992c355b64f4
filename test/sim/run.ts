import { parseArgs } from 'node:util';
import { createLogger } from '../../functions/logging/logger.ts';
import { markdownSummary, writeReport } from './report.ts';
import { runSimulation } from './simulate.ts';

// `npm run simulate -- [--shoppers N] [--days N] [--seed N] [--concurrency N] [--report DIR]`: the shopper
// simulation through the local stack. Progress and logs go to stderr; the Markdown summary to stdout.

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '14' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    report: { type: 'string' },
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
  const result = await runSimulation({
    shoppers: number('shoppers', values.shoppers),
    days: number('days', values.days),
    seed: number('seed', values.seed),
    concurrency: number('concurrency', values.concurrency),
    logger: { ...logger, info: (m, f) => (interactive && process.stderr.write('\n'), logger.info(m, f)) },
    progress,
  });
  if (interactive) process.stderr.write('\n');
  if (values.report) for (const file of writeReport(result, values.report)) logger.info('report written', { file });
  process.stdout.write(markdownSummary(result));
} catch (error) {
  if (interactive) process.stderr.write('\n');
  logger.error('simulation failed', { error });
  process.exitCode = 1;
}
