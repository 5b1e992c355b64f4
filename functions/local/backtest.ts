import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '../logging/logger.ts';
import { runBacktest, type BacktestResult, type ScratchWarehouse } from '../history/backtest.ts';
import type { SqlWarehouse } from '../warehouse/ports.ts';
import { backtestPage, backtestSummary } from './backtest-report.ts';
import { LOCAL_ENV } from './local-functions.ts';
import { LOCAL } from './local-settings.ts';

// `npm run backtest -- --until <date> [--report DIR] [--warehouse duckdb:<file> | --project ID [--dataset NAME]
//   [--location LOC]]`: replays the warehouse's history up to the cutoff through the loop's own learning and pattern
// code and scores its predictions of each shopper's next order (functions/history/backtest.ts). It reads the local
// stack's warehouse file (stop `npm start` first: its process owns the file), or BigQuery with the operator's
// application default credentials. It writes backtest.json and backtest.html to the report folder.

export type BacktestCommand = {
  until: Date;
  report: string;
  warehouse: { kind: 'duckdb'; path: string } | { kind: 'bigquery'; project: string; dataset: string; location?: string };
};

const USAGE =
  'usage: npm run backtest -- --until <date> [--report DIR] [--warehouse duckdb:<file> | --project ID [--dataset NAME] [--location LOC]]';

export function parseBacktestArgs(args: string[], cwd: string, env: NodeJS.ProcessEnv): BacktestCommand {
  const { values } = parseArgs({
    args,
    options: {
      until: { type: 'string' },
      report: { type: 'string', default: 'out/backtest' },
      warehouse: { type: 'string' },
      project: { type: 'string' },
      dataset: { type: 'string', default: 'learning_loop' },
      location: { type: 'string' },
    },
  });
  if (!values.until || Number.isNaN(Date.parse(values.until))) throw new Error(`--until must be a date or an RFC 3339 date-time\n${USAGE}`);
  if (values.warehouse && values.project) throw new Error('--warehouse and --project name two warehouses; give one');
  if (values.warehouse && !values.warehouse.startsWith('duckdb:')) throw new Error(`--warehouse must be duckdb:<file>\n${USAGE}`);
  const localFile = resolve(cwd, env[LOCAL_ENV.warehouseFile] ?? LOCAL.warehouseFile);
  return {
    until: new Date(values.until),
    report: resolve(cwd, values.report),
    warehouse: values.project
      ? { kind: 'bigquery', project: values.project, dataset: values.dataset, ...(values.location ? { location: values.location } : {}) }
      : { kind: 'duckdb', path: values.warehouse ? resolve(cwd, values.warehouse.slice('duckdb:'.length)) : localFile },
  };
}

/** Runs the backtest on `history`, writes its report files, and answers the summary to print. */
export async function backtestAndReport(
  history: Pick<SqlWarehouse, 'query'>,
  until: Date,
  report: string,
  logger: Logger,
): Promise<{ result: BacktestResult; files: string[]; summary: string }> {
  const { createDuckDbWarehouse } = await import('../adapters/local/duckdb-warehouse.ts');
  const scratch = async (): Promise<ScratchWarehouse> => createDuckDbWarehouse(':memory:');
  const result = await runBacktest({ history, scratch, logger }, until);
  mkdirSync(report, { recursive: true });
  const files = [join(report, 'backtest.json'), join(report, 'backtest.html')];
  writeFileSync(files[0] as string, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(files[1] as string, backtestPage(result));
  return { result, files, summary: backtestSummary(result) };
}

async function openHistory(command: BacktestCommand): Promise<{ history: Pick<SqlWarehouse, 'query'>; close: () => Promise<void> }> {
  if (command.warehouse.kind === 'bigquery') {
    const { BigQuery } = await import('@google-cloud/bigquery');
    const { createBigQuerySql } = await import('../adapters/gcp/bigquery-sql.ts');
    const { project, dataset, location } = command.warehouse;
    // Reads only; the cost guard of the jobs' default.
    const history = createBigQuerySql(new BigQuery({ projectId: project }), {
      dataset,
      ...(location ? { location } : {}),
      maximumBytesBilled: 1024 ** 4,
      labels: { job: 'backtest' },
    });
    return { history, close: () => Promise.resolve() };
  }
  const { createDuckDbWarehouse } = await import('../adapters/local/duckdb-warehouse.ts');
  try {
    const warehouse = await createDuckDbWarehouse(command.warehouse.path);
    return { history: warehouse, close: () => warehouse.close() };
  } catch (error) {
    if (/lock/i.test(error instanceof Error ? error.message : ''))
      throw new Error(
        `${command.warehouse.path} is open in another process: stop npm start (its process owns the file), then run the backtest`,
        { cause: error },
      );
    throw error;
  }
}

if (import.meta.main) {
  const logger = createLogger({ labels: { component: 'backtest' }, sink: (line) => process.stderr.write(`${line}\n`) });
  try {
    const command = parseBacktestArgs(process.argv.slice(2), process.cwd(), process.env);
    const { history, close } = await openHistory(command);
    try {
      const { files, summary } = await backtestAndReport(history, command.until, command.report, logger);
      process.stdout.write(`${summary}\nWritten: ${files.join(', ')}\n`);
    } finally {
      await close();
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
