import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IMPORT_FORMATS, type ImportFormat, type ImportRecord, type ImportReport } from '../history/import-job.ts';
import { localPorts } from './local-functions.ts';

// `npm run import -- orders <file> [--format csv|ndjson|instacart] [--anchor <date>] [--json]`: imports past orders into
// the local stack (`npm start` must be running: its one process owns the local warehouse), showing progress until
// the report. With `--project <id> --region <region>` the file is `gs://<import bucket>/…` and the deployed `history`
// function imports it, called with a Google identity token of the operator's application default credentials.

export type ImportCommand = {
  format: ImportFormat;
  source: string;
  anchor?: string;
  json: boolean;
  project?: string;
  region?: string;
  url?: string;
};

const USAGE = `usage: npm run import -- orders <file> [--format ${IMPORT_FORMATS.join('|')}] [--anchor <date>] [--json] [--project ID --region REGION | --url HISTORY_URL]`;

export function parseImportArgs(args: string[], cwd: string): ImportCommand {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'csv' },
      anchor: { type: 'string' },
      json: { type: 'boolean', default: false },
      project: { type: 'string' },
      region: { type: 'string' },
      // The stack's output `historyUrl`, when the function's cloudfunctions.net address is not wanted.
      url: { type: 'string' },
    },
  });
  const [what, source, ...rest] = positionals;
  if (what !== 'orders' || !source || rest.length > 0) throw new Error(USAGE);
  if (!(IMPORT_FORMATS as readonly string[]).includes(values.format))
    throw new Error(`--format must be one of ${IMPORT_FORMATS.join(', ')}\n${USAGE}`);
  if (values.project && !values.region) throw new Error('--region is needed with --project');
  if (values.url && !values.url.startsWith('https://'))
    throw new Error("--url is the deployed history function's https:// URL (pulumi stack output historyUrl)");
  const deployed = Boolean(values.project || values.url);
  if (deployed && !source.startsWith('gs://'))
    throw new Error('a deployed import reads gs://<import bucket>/…: upload the file there first');
  if (values.anchor && values.format !== 'instacart')
    throw new Error('--anchor places the orders of the instacart layout; the other formats have their own times');
  return {
    format: values.format as ImportFormat,
    // The stack reads the file itself, so it is named whole.
    source: deployed ? source : resolve(cwd, source),
    ...(values.anchor ? { anchor: values.anchor } : {}),
    json: values.json,
    ...(values.project ? { project: values.project, region: values.region } : {}),
    ...(values.url ? { url: values.url.replace(/\/+$/, '') } : {}),
  };
}

export type ImportCommandDeps = {
  fetchFn: typeof fetch;
  env: NodeJS.ProcessEnv;
  /** Headers with a Google identity token for the deployed function's URL. */
  identity: (url: string) => Promise<Record<string, string>>;
  /** Progress, redrawn in place on a terminal. */
  progress: (line: string) => void;
  pollEveryMs?: number;
};

/** Runs the import and answers what to print, and whether it succeeded. */
export async function runImportCommand(command: ImportCommand, deps: ImportCommandDeps): Promise<{ ok: boolean; output: string }> {
  const deployed = command.url ?? (command.project ? `https://${command.region}-${command.project}.cloudfunctions.net/history` : null);
  const base = deployed ?? `http://127.0.0.1:${localPorts(deps.env).history}`;
  const headers = { 'Content-Type': 'application/json', ...(deployed ? await deps.identity(base) : {}) };
  const body = JSON.stringify({ format: command.format, source: command.source, ...(command.anchor ? { anchor: command.anchor } : {}) });
  const response = await deps.fetchFn(`${base}/v1/imports`, { method: 'POST', headers, body }).catch((error: unknown) => {
    throw new Error(
      deployed ? `the history function does not answer at ${base}` : `the local stack does not answer at ${base} (is npm start running?)`,
      { cause: error },
    );
  });
  if (!response.ok || !response.body) return { ok: false, output: await response.text() };

  const lines = ndjsonLines(response.body);
  const first = await lines.next();
  if (first.done) return { ok: false, output: 'the import answered nothing' };
  const started = first.value as { import_id: string; status_url: string; resumed: boolean };
  deps.progress(`import ${started.import_id}${started.resumed ? ' (resumed: this file was imported before)' : ''}`);
  let finished = false;
  const polling = (async () => {
    while (!finished) {
      await new Promise((r) => setTimeout(r, deps.pollEveryMs ?? 1_000));
      if (finished) break;
      const status = await deps.fetchFn(`${base}${started.status_url}`, { headers }).catch(() => null);
      if (status?.ok) deps.progress(progressLine((await status.json()) as ImportRecord));
    }
  })();
  let last: { report?: ImportReport; error?: { code: string; message: string } } = {};
  for await (const line of lines) last = line as typeof last;
  finished = true;
  await polling;
  if (last.report) return { ok: true, output: command.json ? JSON.stringify(last.report, null, 2) : describeReport(last.report) };
  return {
    ok: false,
    output: last.error
      ? `import ${started.import_id} failed: ${last.error.message}`
      : `the import ${started.import_id} ended without a report; GET ${started.status_url} says where it stands`,
  };
}

async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line) as unknown;
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer) as unknown;
}

const count = (n: number) => n.toLocaleString('en');

/** Where the import stands, in one line. */
export function progressLine(record: ImportRecord): string {
  const p = record.progress;
  const skipped = p.shoppers_skipped.tracking_off + p.shoppers_skipped.erased;
  return `${record.phase}: lines ${count(p.lines_read)} · events ${count(p.events_staged)} · rejected ${count(p.rejected_rows)} · shoppers left out for privacy ${count(skipped)} · shoppers seeded ${count(p.shoppers_seeded)}`;
}

/** The report, as an operator reads it. */
export function describeReport(report: ImportReport): string {
  const { progress: p, imported: i } = report;
  const seeded = p.shoppers_seeded;
  const leftOut = Object.entries(p.left_out).map(([why, n]) => `\n                     ${count(n)} ${why}`);
  return [
    `import ${report.import_id} succeeded (${report.format} ${report.source})`,
    `  lines read         ${count(p.lines_read)}`,
    `  imported           ${count(i.events)} events, ${count(i.order_lines)} order lines, ${count(i.shoppers)} shoppers (${i.earliest ?? '–'} … ${i.latest ?? '–'}); ${count(i.already_present)} events were in the warehouse already`,
    `  rejected rows      ${count(i.rejected)} (kept in rejected_events with request_id ${report.import_id})`,
    ...report.rejections.map((r) => `    line ${r.line}: ${r.reason}`),
    ...(i.rejected > report.rejections.length ? [`    … and ${count(i.rejected - report.rejections.length)} more`] : []),
    `  left out           ${count(p.shoppers_skipped.tracking_off)} shoppers with tracking off (${count(p.events_skipped.not_tracked)} events), ${count(p.shoppers_skipped.erased)} erased (${count(p.events_skipped.erased)} events), ${count(p.events_skipped.past_retention)} events past their retention${leftOut.join('')}`,
    `  seeded             ${count(seeded)} shoppers, ${count(p.events_learned)} events learned, ${count(p.seeding_writes)} Firestore writes (${seeded ? (p.seeding_writes / seeded).toFixed(1) : '0'} per shopper)`,
    `  patterns           ${report.patterns ? `${count(Number(report.patterns.shoppers ?? 0))} shoppers, ${count(Number(report.patterns.changed ?? 0))} changed` : 'not run (nothing imported)'}`,
    `  took               load ${(report.ms.load / 1000).toFixed(1)} s, seeding ${(report.ms.seed / 1000).toFixed(1)} s, patterns ${(report.ms.patterns / 1000).toFixed(1)} s`,
  ].join('\n');
}

if (import.meta.main) {
  const interactive = process.stderr.isTTY;
  let lastPlain = 0;
  try {
    const command = parseImportArgs(process.argv.slice(2), process.cwd());
    const result = await runImportCommand(command, {
      fetchFn: fetch,
      env: process.env,
      // Loaded only for a deployed import: the local path needs no Google credentials.
      identity: async (url) => {
        const { GoogleAuth } = await import('google-auth-library');
        const client = await new GoogleAuth().getIdTokenClient(url);
        return Object.fromEntries((await client.getRequestHeaders(url)).entries());
      },
      progress: (line) => {
        if (interactive) process.stderr.write(`\r\x1b[2K${line}`);
        else if (Date.now() - lastPlain >= 5_000 || line.startsWith('import ')) {
          lastPlain = Date.now();
          process.stderr.write(`${line}\n`);
        }
      },
    });
    if (interactive) process.stderr.write('\n');
    process.stdout.write(`${result.output}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
