import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BigQueryDate,
  BigQueryInt,
  BigQueryTimestamp,
  type BigQuery,
  type Job,
  type JobMetadata,
  type Table,
} from '@google-cloud/bigquery';
import { z } from 'zod';
import type { SqlParam, SqlParams, SqlRow, SqlValue, SqlWarehouse } from '../../warehouse/ports.ts';
import { usedParams } from '../../warehouse/dialect.ts';
import { readSqlFile } from '../../warehouse/sql-files.ts';

export type BigQuerySqlOptions = {
  /** The dataset the unqualified table names of `sql/` resolve in, and the one `replaceRows` loads into. */
  dataset: string;
  /** Where the jobs run, e.g. `EU`. Default: BigQuery's choice, the dataset's location. */
  location?: string;
  /** Cost guard per query: BigQuery fails the job (`bytesBilledLimitExceeded`) rather than bill more. */
  maximumBytesBilled: number;
  /** Longest a query job may run, ms; BigQuery then stops it (`jobTimeoutMs`). Default: none, BigQuery's own limit. */
  jobTimeoutMs?: number;
  /** Added to every job's labels. Default: none; `job` and `query` are always set. */
  labels?: Record<string, string>;
  /** Reads a file of `sql/` by name. Default: `readSqlFile`; tests give their own statements. */
  readSql?: (file: string) => Promise<string>;
};

/** A query parameter's type as the client takes it in `types`; `['STRING']` is ARRAY<STRING>. */
export type ParamType = 'TIMESTAMP' | 'INT64' | 'FLOAT64' | 'STRING' | 'BOOL' | ['STRING'];

/** A failed BigQuery job or request. The message names the file or table and BigQuery's reasons, never a parameter. */
export class BigQueryJobError extends Error {
  override name = 'BigQueryJobError';
  /** BigQuery's reasons, e.g. `bytesBilledLimitExceeded`, `invalidQuery`, `backendError`. */
  readonly reasons: string[];

  constructor(subject: string, failures: readonly Failure[]) {
    super(`${subject} failed: ${failures.map((f) => (f.reason ? `${f.reason}: ${f.message}` : f.message)).join('; ')}`);
    this.reasons = [...new Set(failures.flatMap((f) => (f.reason ? [f.reason] : [])))];
  }

  /** What a job or request that failed with `error` (and the job's `status`, when there is a job) says went wrong. */
  static of(subject: string, error: unknown, status?: unknown): BigQueryJobError {
    return new BigQueryJobError(subject, failures(error, status));
  }
}

type Failure = { reason: string | null; message: string };

const ErrorProto = z.object({ reason: z.string().optional(), message: z.string().optional() });
/** What the client throws: an `ApiError` carries BigQuery's `errors`; anything else only a message. */
const ClientError = z.object({ message: z.string(), errors: z.array(ErrorProto).optional() });
const JobStatus = z.object({ errorResult: ErrorProto.nullish(), errors: z.array(ErrorProto).nullish() });
/** A result row as the client merges it with the schema: column → value. */
const ResultRow = z.record(z.string(), z.unknown());

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const TABLE_NAME = /^[a-z0-9_]+$/;

/** A label value (and job id part) from a name: lower snake case, at most 63 characters. */
export function labelValue(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

/** The port's rule, given explicitly: the client cannot infer an empty array's type (and refuses to guess). */
export function paramType(value: SqlParam): ParamType {
  if (value instanceof Date) return 'TIMESTAMP';
  if (typeof value === 'string') return 'STRING';
  if (typeof value === 'boolean') return 'BOOL';
  if (typeof value === 'number') return Number.isInteger(value) ? 'INT64' : 'FLOAT64';
  return ['STRING'];
}

/** A value of a result row, as the client parses it (`wrapIntegers: true`, `parseJSON: false`), in the port's terms. */
export function sqlValue(value: unknown, column: string): SqlValue {
  if (value === null || value === undefined) return null;
  // STRING, JSON (its text: parseJSON is off), BOOL and FLOAT64 come as plain values.
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((element: unknown) => sqlValue(element, column));
  if (value instanceof BigQueryInt) {
    const number = Number(value.value);
    // The value itself stays out of the message: it may be personal data.
    if (!Number.isSafeInteger(number)) throw new Error(`column ${column}: INT64 beyond Number.MAX_SAFE_INTEGER`);
    return number;
  }
  // `value` is ISO 8601 UTC with up to 12 fractional digits; Date keeps milliseconds (truncating).
  if (value instanceof BigQueryTimestamp) return new Date(value.value).toISOString();
  if (value instanceof BigQueryDate) return value.value;
  const kind = typeof value === 'object' ? value.constructor.name : typeof value;
  throw new Error(
    `column ${column}: ${kind} has no SqlValue (STRUCT, NUMERIC, BYTES, DATETIME, TIME, GEOGRAPHY and RANGE are not supported)`,
  );
}

/** Everything BigQuery said went wrong, from the job's status when there is one, else from the error. */
function failures(error: unknown, status?: unknown): Failure[] {
  const fromStatus = JobStatus.safeParse(status ?? {});
  const fromError = ClientError.safeParse(error);
  const all = [
    ...(fromStatus.success ? [fromStatus.data.errorResult, ...(fromStatus.data.errors ?? [])] : []),
    ...(fromError.success ? (fromError.data.errors ?? []) : []),
  ].flatMap((e) => (e ? [{ reason: e.reason ?? null, message: e.message ?? '' }] : []));
  const unique = [...new Map(all.map((f) => [`${f.reason}\n${f.message}`, f])).values()];
  if (unique.length > 0) return unique;
  return [{ reason: null, message: fromError.success ? fromError.data.message : String(error) }];
}

/** Bytes scanned, from a finished query job's statistics; absent for a job that scanned nothing. */
/** A job's last-read resource; the client types it loosely. */
function metadataOf(job: Job): JobMetadata;
function metadataOf(job: Job | undefined): JobMetadata | undefined;
function metadataOf(job: Job | undefined): JobMetadata | undefined {
  return job?.metadata as JobMetadata | undefined;
}

function bytesProcessed(metadata: JobMetadata): number | null {
  const bytes = metadata.statistics?.query?.totalBytesProcessed ?? metadata.statistics?.totalBytesProcessed;
  return bytes === undefined || bytes === null ? null : Number(bytes);
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** BigQuery for the batch jobs: runs the files of `sql/` as labelled, cost-capped query jobs, and loads staging tables. */
export function createBigQuerySql(client: BigQuery, options: BigQuerySqlOptions): SqlWarehouse {
  if (!Number.isSafeInteger(options.maximumBytesBilled) || options.maximumBytesBilled <= 0) {
    throw new Error(`maximumBytesBilled must be a positive integer, got ${options.maximumBytesBilled}`);
  }
  for (const [key, value] of Object.entries(options.labels ?? {})) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) throw new Error(`not a BigQuery label: ${key}=${value}`);
  }
  const readSql = options.readSql ?? readSqlFile;
  const location = options.location ? { location: options.location } : {};
  const jobTimeout = options.jobTimeoutMs === undefined ? {} : { jobTimeoutMs: options.jobTimeoutMs };

  /** `job` and `what` name the job in labels and in its id, so a run's jobs can be found by either. */
  const naming = (job: string, what: string) => ({
    labels: { ...options.labels, job: labelValue(job), query: labelValue(what) },
    jobPrefix: `${labelValue(job)}_${labelValue(what)}_`,
  });

  /** Runs `sql` as a query job and waits for it; throws the job's errors under `subject`. */
  async function run(subject: string, sql: string, given: SqlParams, job: string, what: string): Promise<Job> {
    let queryJob: Job | undefined;
    const params = usedParams(sql, given, subject.replace(/^sql\//, ''));
    try {
      [queryJob] = await client.createQueryJob({
        query: sql,
        useLegacySql: false,
        defaultDataset: { datasetId: options.dataset },
        params: { ...params },
        types: Object.fromEntries(Object.entries(params).map(([name, value]) => [name, paramType(value)])),
        // A string: the API's int64 fields are JSON strings.
        maximumBytesBilled: String(options.maximumBytesBilled),
        ...naming(job, what),
        ...location,
        ...jobTimeout,
      });
      // Polls jobs.get until DONE; rejects when the job ended with an errorResult.
      await queryJob.promise();
      return queryJob;
    } catch (error) {
      throw new BigQueryJobError(subject, failures(error, metadataOf(queryJob)?.status));
    }
  }

  return {
    async query(file, params, job) {
      const started = performance.now();
      const subject = `sql/${file}`;
      const queryJob = await run(subject, await readSql(file), params, job, file.replace(/\.sql$/, ''));
      let rows: SqlRow[];
      try {
        // Every page (pageToken). INT64 wrapped, so sqlValue can refuse what a number cannot hold;
        // JSON left as the API's text.
        const [results] = await queryJob.getQueryResults({ wrapIntegers: true, parseJSON: false });
        rows = results.map((row: unknown) => {
          const result: SqlRow = {};
          for (const [column, value] of Object.entries(ResultRow.parse(row))) result[column] = sqlValue(value, column);
          return result;
        });
      } catch (error) {
        throw new BigQueryJobError(subject, failures(error));
      }
      return { rows, bytesProcessed: bytesProcessed(metadataOf(queryJob)), ms: elapsed(started) };
    },

    async execute(file, params, job) {
      const started = performance.now();
      const queryJob = await run(`sql/${file}`, await readSql(file), params, job, file.replace(/\.sql$/, ''));
      const metadata = metadataOf(queryJob);
      // Absent only when the file is not a single DML statement (a script's counts are on its child jobs).
      const affected = metadata.statistics?.query?.numDmlAffectedRows;
      return { affectedRows: affected ? Number(affected) : 0, bytesProcessed: bytesProcessed(metadata), ms: elapsed(started) };
    },

    async replaceRows(table, rows, job) {
      const started = performance.now();
      // A staging table of sql/: a plain name, safe to quote into the TRUNCATE below.
      if (!TABLE_NAME.test(table)) throw new Error(`not a table of sql/: ${table}`);
      const subject = `load into ${options.dataset}.${table}`;
      if (rows.length === 0) {
        // The client would upload an empty body, but how BigQuery loads zero bytes is undocumented;
        // TRUNCATE TABLE is documented DML that empties the table and bills no bytes.
        await run(subject, `TRUNCATE TABLE \`${table}\``, {}, job, table);
        return { bytesProcessed: null, ms: elapsed(started) };
      }

      const target = client.dataset(options.dataset, location).table(table);
      let loadJob: Job | undefined;
      try {
        const jsonColumns = await jsonColumnsOf(target);
        const ndjson = rows.map((row, index) => JSON.stringify(loadRow(row, index, jsonColumns))).join('\n') + '\n';
        const upload = target.createWriteStream({
          sourceFormat: 'NEWLINE_DELIMITED_JSON',
          writeDisposition: 'WRITE_TRUNCATE',
          createDisposition: 'CREATE_NEVER',
          // The client nests all of this under configuration.load, where job labels cannot go;
          // the job id prefix names the load instead.
          jobPrefix: naming(job, table).jobPrefix,
        });
        upload.on('job', (created: Job) => (loadJob = created));
        // A multipart upload of the whole body; the stream only finishes once the load job is DONE,
        // and fails with the job's errors.
        await pipeline(Readable.from([ndjson]), upload);
      } catch (error) {
        throw new BigQueryJobError(subject, failures(error, metadataOf(loadJob)?.status));
      }
      return { bytesProcessed: null, ms: elapsed(started) };
    },
  };
}

/** The table's JSON columns, from its schema (tables.get). */
async function jsonColumnsOf(table: Table): Promise<Set<string>> {
  const [metadata] = (await table.getMetadata()) as [unknown, ...unknown[]];
  const fields = z.object({ schema: z.object({ fields: z.array(z.object({ name: z.string(), type: z.string() })) }) }).parse(metadata)
    .schema.fields;
  return new Set(fields.filter((field) => field.type === 'JSON').map((field) => field.name));
}

/**
 * A row as a line of NDJSON. A load stores a JSON column's raw JSON value (a string would stay a JSON
 * string), so the port's JSON text is parsed back into its value first.
 */
export function loadRow(row: SqlRow, index: number, jsonColumns: ReadonlySet<string>): Record<string, unknown> {
  const line: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (!jsonColumns.has(column) || value === null) {
      line[column] = value;
      continue;
    }
    if (typeof value !== 'string') throw new Error(`row ${index}, column ${column}: a JSON column takes JSON text`);
    try {
      line[column] = JSON.parse(value) as unknown;
    } catch {
      // Not the parser's message: it quotes the text, which may be personal data.
      throw new Error(`row ${index}, column ${column}: not JSON text`);
    }
  }
  return line;
}
