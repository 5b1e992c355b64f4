import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { describeIssues } from '../events/describe-issues.ts';
import { badRequest, retryLater, sendError, sendReply, type ErrorReply, type Reply } from '../http/reply.ts';
import { createRouter, type Route } from '../http/routes.ts';
import { IMPORT_FORMATS, planImport, runImport, type ImportDeps, type ImportRecord, type ImportRequest } from './import-job.ts';
import { UnreadableHistory, type ImportLedger } from './ports.ts';

/**
 * Where the files of an import may be: on this machine, named by an absolute path (the local stack, whose process
 * owns the local warehouse), or in the Cloud Storage bucket the deployment gives imports (`gs://<bucket>/…`).
 */
export type ImportSources = { kind: 'local' } | { kind: 'bucket'; bucket: string };

export type HistoryDeps = ImportDeps & {
  sources: ImportSources;
  /** The ledger as the status route reads it: within a deadline, since an operator waits for the answer. */
  status: Pick<ImportLedger<ImportRecord>, 'get'>;
};

const ImportBody = z.strictObject({
  format: z.enum(IMPORT_FORMATS),
  /** The file (a folder for `instacart`). */
  source: z.string().min(1).max(1024),
  /**
   * `instacart` only: where each shopper's last prior order is placed, an RFC 3339 date-time or a date (its end).
   * Default: the import's own time.
   */
  anchor: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
});

/** The import in progress in this process, if any: its latest progress, fresher than the ledger's. */
type Running = { busy: boolean; current: ImportRecord | null };
type Call = { req: Request; res: Response; params: Readonly<Record<string, string>>; deps: HistoryDeps; running: Running };
type HistoryRoute = Route<(call: Call) => Promise<Reply | 'streamed'>>;

const ROUTES: readonly HistoryRoute[] = [
  { path: '/v1/imports', methods: { POST: startImport } },
  { path: '/v1/imports/:importId', methods: { GET: importStatus } },
];

/**
 * `history`: history imports, for operators (IAM authenticates the callers, as for `operators`).
 *
 * `POST /v1/imports` with `{ "format", "source", "anchor"? }` runs an import for as long as it takes, within the
 * request: the answer is NDJSON, a first line with the import's id and its status URL as soon as the import is
 * planned, and a last line with its report, or its error. `GET /v1/imports/{importId}` answers where the import
 * stands (what the CLI polls to show progress). An import of a file imported before is the same import: a finished
 * one answers its report again, an interrupted one resumes. One import runs at a time: another is answered 409.
 */
export function createHistoryHandler(deps: HistoryDeps): HttpFunction {
  const findRoute = createRouter(ROUTES);
  const running: Running = { busy: false, current: null };
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'private, no-store');
    const routed = findRoute(req.method, req.path);
    if (!routed.ok) return sendError(res, routed.reply);
    try {
      const reply = await routed.action({ req, res, params: routed.params, deps, running });
      if (reply !== 'streamed') sendReply(res, reply);
    } catch (error) {
      deps.logger.error('history request failed', { method: req.method, path: routed.route.path, error });
      if (!res.headersSent) sendError(res, retryLater('the import could not be reached right now; retry'));
    }
  };
}

async function startImport({ req, res, deps, running }: Call): Promise<Reply | 'streamed'> {
  const parsed = ImportBody.safeParse(req.body ?? {});
  if (!parsed.success) return badRequest(describeIssues(parsed.error));
  const source = checkedSource(parsed.data.source, deps.sources);
  if (typeof source !== 'string') return source;
  if (running.busy) {
    const id = running.current?.import_id;
    return {
      status: 409,
      code: 'already_running',
      message: id ? `import ${id} is in progress; follow it at /v1/imports/${id}` : 'an import is starting; try again when it ends',
    };
  }
  const request: ImportRequest = {
    format: parsed.data.format,
    source,
    ...(parsed.data.anchor ? { anchor: anchorOf(parsed.data.anchor) } : {}),
  };
  // Taken before the first wait: two requests at once must not both start.
  running.busy = true;
  let planned: Awaited<ReturnType<typeof planImport>>;
  try {
    planned = await planImport(deps, request);
  } catch (error) {
    running.busy = false;
    if (error instanceof UnreadableHistory) return { status: 400, code: 'unreadable_history', message: error.message };
    throw error;
  }
  const { record, resumed } = planned;
  const statusUrl = `/v1/imports/${record.import_id}`;
  running.current = record;
  res.status(200).type('application/x-ndjson');
  res.write(`${JSON.stringify({ import_id: record.import_id, status_url: statusUrl, resumed, state: record.state })}\n`);
  try {
    const report = await runImport({ ...deps, onProgress: (progress) => (running.current = progress) }, record);
    res.end(`${JSON.stringify({ report })}\n`);
  } catch (error) {
    // The run has logged and recorded why; its record says it in our words.
    const reason =
      error instanceof UnreadableHistory
        ? error.message
        : `the import failed; GET ${statusUrl} says why, and importing the same file again resumes it`;
    res.end(
      `${JSON.stringify({ error: { code: error instanceof UnreadableHistory ? 'unreadable_history' : 'import_failed', message: reason } })}\n`,
    );
  } finally {
    running.busy = false;
    running.current = null;
  }
  return 'streamed';
}

async function importStatus({ params, deps, running }: Call): Promise<Reply> {
  const importId = params.importId ?? '';
  const current = running.current?.import_id === importId ? running.current : null;
  const record = current ?? (await deps.status.get(importId));
  if (!record) return { status: 404, code: 'not_found', message: `no import ${importId}` };
  return { status: 200, body: record };
}

/** The source as the import reads it, or why it may not be read here. */
function checkedSource(source: string, sources: ImportSources): string | ErrorReply {
  if (sources.kind === 'local') {
    return source.startsWith('/') ? source : badRequest('source: the local stack imports a file named by its absolute path');
  }
  const prefix = `gs://${sources.bucket}/`;
  if (!source.startsWith(prefix) || source.length === prefix.length)
    return badRequest(`source: an import reads from ${prefix}…, the bucket the deployment gives imports`);
  return source;
}

/** A date stands for its last millisecond: the last orders are placed on that day. */
function anchorOf(anchor: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(anchor) ? new Date(Date.parse(`${anchor}T00:00:00.000Z`) + 86_400_000 - 1) : new Date(anchor);
}
