import { z } from 'zod';
import { DEFAULT_TIME_LIMITS } from './events/limits.ts';
import { describeIssues } from './events/describe-issues.ts';
import { TOPICS } from './events/topics.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting the functions read, from environment variables, validated when the function that
 * needs them starts. Each function reads only its own sections (its descriptor's settings schema):
 * `ingest` never needs the token key. docs/deploying.md lists them (see SETTING_NAMES in
 * functions/registry.ts); each field's default is written here once.
 */
export const CommonEnv = z.object({
  /** Google Cloud project id. Required. */
  GOOGLE_CLOUD_PROJECT: z.string().min(1),
  /** Lowest severity written to the log. Default `INFO`. */
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']).default('INFO'),
});

export const TokenEnv = CommonEnv.extend({
  /** Shopper token key: an HS256 secret (≥ 32 chars) or a PEM public key. Secret Manager in production. Required. */
  TOKEN_KEY: z.string().min(1),
  /** Expected `iss` claim. Default `grocery-shop`. */
  TOKEN_ISSUER: z.string().min(1).default('grocery-shop'),
  /** Expected `aud` claim. Default `learning-loop`. */
  TOKEN_AUDIENCE: z.string().min(1).default('learning-loop'),
  /** Clock tolerance for token times, seconds. Default 30. */
  TOKEN_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().nonnegative().default(30),
  /** Comma-separated origins allowed by CORS, or `*`. Default `*` (tokens travel in a header, not cookies). */
  CORS_ORIGINS: z.string().default('*'),
});

export const CollectEnv = TokenEnv.extend({
  /** Topic for accepted event batches. Default `events`. */
  EVENTS_TOPIC: z.string().min(1).default(TOPICS.events),
  /** Topic for rejected events, kept for inspection. Default `rejected-events`. */
  REJECTED_EVENTS_TOPIC: z.string().min(1).default(TOPICS.rejected),
  /** Oldest accepted event, days after skew correction. Default 30. */
  MAX_EVENT_AGE_DAYS: z.coerce
    .number()
    .positive()
    .default(DEFAULT_TIME_LIMITS.maxEventAgeMs / 86_400_000),
  /** How far `occurred_at` may run ahead of `sent_at`, seconds. Default 300. */
  MAX_FUTURE_SKEW_SECONDS: z.coerce
    .number()
    .nonnegative()
    .default(DEFAULT_TIME_LIMITS.maxFutureSkewMs / 1000),
  /** Pub/Sub publisher batching: messages per batch. Default 100. */
  PUBLISH_BATCH_MAX_MESSAGES: positiveInt(100),
  /** Pub/Sub publisher batching: longest wait before a batch is sent, ms. Default 10 (test/bench/RESULTS.md). */
  PUBLISH_BATCH_MAX_MILLISECONDS: z.coerce.number().int().nonnegative().default(10),
  /** Pub/Sub publisher batching: bytes per batch. Default 1 MiB. */
  PUBLISH_BATCH_MAX_BYTES: positiveInt(1024 * 1024),
});

export const WarehouseEnv = CommonEnv.extend({
  /** Where events are stored: `bigquery` (default) or `duckdb:<file>` for the local stack. */
  WAREHOUSE: z
    .string()
    .regex(/^(bigquery|duckdb:.+)$/, 'must be bigquery or duckdb:<file>')
    .default('bigquery'),
  /** BigQuery dataset holding the tables of `sql/`. Default `learning_loop`. */
  BIGQUERY_DATASET: z
    .string()
    .regex(/^\w{1,1024}$/)
    .default('learning_loop'),
});

/** Where a function that only stores events writes them (`storeRejected`): the project and the warehouse. */
export type WarehouseSettings = { projectId: string; warehouse: WarehouseSetting; logLevel: CollectSettings['logLevel'] };

export function loadWarehouseSettings(env: NodeJS.ProcessEnv): WarehouseSettings {
  const e = parseEnv(WarehouseEnv, env);
  return { projectId: e.GOOGLE_CLOUD_PROJECT, warehouse: warehouseSetting(e), logLevel: e.LOG_LEVEL };
}

export const IngestEnv = WarehouseEnv.extend({
  /** Days an applied event's id is kept; must outlast Pub/Sub redelivery (7 days). Default 8. */
  MARKER_TTL_DAYS: z.coerce.number().positive().default(8),
});

export type WarehouseSetting = { kind: 'bigquery'; dataset: string } | { kind: 'duckdb'; path: string };

export type IngestSettings = {
  projectId: string;
  warehouse: WarehouseSetting;
  markerTtlDays: number;
  logLevel: CollectSettings['logLevel'];
};

export function loadIngestSettings(env: NodeJS.ProcessEnv): IngestSettings {
  const e = parseEnv(IngestEnv, env);
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    warehouse: warehouseSetting(e),
    markerTtlDays: e.MARKER_TTL_DAYS,
    logLevel: e.LOG_LEVEL,
  };
}

export const BatchEnv = WarehouseEnv.extend({
  /** The BigQuery dataset's location, where query jobs run, e.g. `EU`. Default: BigQuery's choice from the dataset. */
  BIGQUERY_LOCATION: z.string().min(1).optional(),
  /** Most bytes one query may bill; BigQuery fails the query rather than bill more. Default 1 TiB. */
  MAXIMUM_BYTES_BILLED: positiveInt(1024 ** 4),
});

/** What every scheduled batch job reads: the project, the warehouse and BigQuery's cost guard. */
export type BatchSettings = {
  projectId: string;
  warehouse: WarehouseSetting;
  location: string | undefined;
  maximumBytesBilled: number;
  logLevel: CollectSettings['logLevel'];
};

/** The settings of the scheduled `erasure`, `retention` and `metrics` jobs. */
export function loadBatchSettings(env: NodeJS.ProcessEnv): BatchSettings {
  return batchSettings(parseEnv(BatchEnv, env));
}

function batchSettings(e: z.infer<typeof BatchEnv>): BatchSettings {
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    warehouse: warehouseSetting(e),
    location: e.BIGQUERY_LOCATION,
    maximumBytesBilled: e.MAXIMUM_BYTES_BILLED,
    logLevel: e.LOG_LEVEL,
  };
}

export const HistoryEnv = BatchEnv.extend({
  /**
   * The Cloud Storage bucket history imports read from, and stage their rows in, on BigQuery (`gs://<bucket>/…`).
   * Required with `WAREHOUSE=bigquery`; the local stack imports files of its own machine instead.
   */
  IMPORT_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a Cloud Storage bucket name')
    .optional(),
  /** The patterns function's URL: an import runs the patterns job over what it imported. Required. */
  PATTERNS_URL: z.url({ protocol: /^https?$/ }),
  // Seeding marks imported events as learning does: until when one could still arrive live, and a mark's own life.
  MAX_EVENT_AGE_DAYS: CollectEnv.shape.MAX_EVENT_AGE_DAYS,
  MAX_FUTURE_SKEW_SECONDS: CollectEnv.shape.MAX_FUTURE_SKEW_SECONDS,
  MARKER_TTL_DAYS: IngestEnv.shape.MARKER_TTL_DAYS,
});

/** What `history` reads: the warehouse as the batch jobs do, where files come from, and learning's marks. */
export type HistorySettings = BatchSettings & {
  importBucket: string | undefined;
  patternsUrl: string;
  maxEventAgeMs: number;
  maxFutureSkewMs: number;
  markerTtlDays: number;
};

/** The settings of `history`, the history imports. */
export function loadHistorySettings(env: NodeJS.ProcessEnv): HistorySettings {
  const e = parseEnv(HistoryEnv, env);
  if (e.WAREHOUSE === 'bigquery' && e.IMPORT_BUCKET === undefined)
    throw new Error('invalid settings: IMPORT_BUCKET is required with WAREHOUSE=bigquery');
  return {
    ...batchSettings(e),
    importBucket: e.IMPORT_BUCKET,
    patternsUrl: e.PATTERNS_URL,
    maxEventAgeMs: e.MAX_EVENT_AGE_DAYS * 86_400_000,
    maxFutureSkewMs: e.MAX_FUTURE_SKEW_SECONDS * 1000,
    markerTtlDays: e.MARKER_TTL_DAYS,
  };
}

export const UserHashEnv = z.object({
  /**
   * Key of the keyed hash that erasure keeps instead of user ids (≥ 32 characters). Secret Manager in
   * production. Required by collect, ingest, users, operators, patterns and erasure.
   */
  USER_HASH_KEY: z.string().min(32, 'must have at least 32 characters'),
});

/** The user hash key, for the functions that hash user ids. */
export function loadUserHashKey(env: NodeJS.ProcessEnv): string {
  return parseEnv(UserHashEnv, env).USER_HASH_KEY;
}

export const PrivacyCacheEnv = z.object({
  /** Seconds collect caches a shopper's privacy settings and a visitor's link (ingest caches neither). Default 5. */
  PRIVACY_CACHE_SECONDS: z.coerce.number().nonnegative().max(60).default(5),
});

/** How long collect may keep a shopper's privacy settings, ms. */
export function loadPrivacyCacheMs(env: NodeJS.ProcessEnv): number {
  return parseEnv(PrivacyCacheEnv, env).PRIVACY_CACHE_SECONDS * 1000;
}

export const DeadlineEnv = z.object({
  /**
   * Longest wait for one Firestore call on a request path, ms: collect's privacy and link reads, every store
   * call of users and operators, ingest's consent and tombstone reads. A read takes tens of ms when
   * Firestore is well. Default 1,500.
   */
  FIRESTORE_DEADLINE_MS: positiveInt(1500),
  /**
   * Longest time ingest's learning transaction may take, ms. Longer than a read: when deliveries of
   * one shopper meet on their preference document, Firestore aborts all but one and the client
   * retries them after backoffs of about 1, 1.5 and 2.25 s; 10 s leaves room for those. Default 10,000.
   */
  LEARNING_DEADLINE_MS: positiveInt(10_000),
  /** Longest wait for collect's Pub/Sub publish, ms. Default 2,000. */
  PUBLISH_DEADLINE_MS: positiveInt(2000),
  /**
   * Longest wait for one of ingest's warehouse inserts (and users' link rows), ms, with the adapter's resends of
   * rows that failed for a transient reason (about 0.2, 0.4 and 0.8 s apart). Default 10,000.
   */
  WAREHOUSE_INSERT_DEADLINE_MS: positiveInt(10_000),
  /** Longest wait for the operators dashboard's warehouse queries, ms (they run side by side). Default 30,000. */
  DASHBOARD_DEADLINE_MS: positiveInt(30_000),
});

/** How long each remote call on a request path may take before the function gives up on it (invariant 8). */
export type Deadlines = {
  firestoreMs: number;
  learningMs: number;
  publishMs: number;
  warehouseInsertMs: number;
  dashboardMs: number;
};

/** The deadlines of collect, users, operators and ingest. */
export function loadDeadlines(env: NodeJS.ProcessEnv): Deadlines {
  const e = parseEnv(DeadlineEnv, env);
  return {
    firestoreMs: e.FIRESTORE_DEADLINE_MS,
    learningMs: e.LEARNING_DEADLINE_MS,
    publishMs: e.PUBLISH_DEADLINE_MS,
    warehouseInsertMs: e.WAREHOUSE_INSERT_DEADLINE_MS,
    dashboardMs: e.DASHBOARD_DEADLINE_MS,
  };
}

/**
 * The settings of `operators` (IAM authenticates its callers): the project, the log level, and the
 * warehouse its dashboard reads, as the batch jobs read it.
 */
export function loadOperatorsSettings(env: NodeJS.ProcessEnv): BatchSettings {
  return batchSettings(parseEnv(BatchEnv, env));
}

function warehouseSetting(e: z.infer<typeof WarehouseEnv>): WarehouseSetting {
  return e.WAREHOUSE === 'bigquery'
    ? { kind: 'bigquery', dataset: e.BIGQUERY_DATASET }
    : { kind: 'duckdb', path: e.WAREHOUSE.slice('duckdb:'.length) };
}

export type CollectSettings = {
  projectId: string;
  topics: { events: string; rejected: string };
  token: { key: string; issuer: string; audience: string; clockToleranceSec: number };
  corsOrigins: string[] | '*';
  timeLimits: { maxEventAgeMs: number; maxFutureSkewMs: number };
  publishBatching: { maxMessages: number; maxMilliseconds: number; maxBytes: number };
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
};

/** The settings of `collect`. */
export function loadCollectSettings(env: NodeJS.ProcessEnv): CollectSettings {
  const e = parseEnv(CollectEnv, env);
  return {
    ...shopperFacing(e),
    topics: { events: e.EVENTS_TOPIC, rejected: e.REJECTED_EVENTS_TOPIC },
    timeLimits: {
      maxEventAgeMs: e.MAX_EVENT_AGE_DAYS * 86_400_000,
      maxFutureSkewMs: e.MAX_FUTURE_SKEW_SECONDS * 1000,
    },
    publishBatching: {
      maxMessages: e.PUBLISH_BATCH_MAX_MESSAGES,
      maxMilliseconds: e.PUBLISH_BATCH_MAX_MILLISECONDS,
      maxBytes: e.PUBLISH_BATCH_MAX_BYTES,
    },
  };
}

export type UsersSettings = Pick<CollectSettings, 'projectId' | 'token' | 'corsOrigins' | 'logLevel'>;

/** The settings of `users`: a token-verifying function that reads Firestore. */
export function loadUsersSettings(env: NodeJS.ProcessEnv): UsersSettings {
  return shopperFacing(parseEnv(TokenEnv, env));
}

/** What every function shoppers call with their token reads: the project, the token check, CORS. */
function shopperFacing(e: z.infer<typeof TokenEnv>): UsersSettings {
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    token: { key: e.TOKEN_KEY, issuer: e.TOKEN_ISSUER, audience: e.TOKEN_AUDIENCE, clockToleranceSec: e.TOKEN_CLOCK_TOLERANCE_SECONDS },
    corsOrigins: parseOrigins(e.CORS_ORIGINS),
    logLevel: e.LOG_LEVEL,
  };
}

/** `env` parsed by `schema`, or an error that names each setting at fault and why. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid settings: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function parseOrigins(value: string): string[] | '*' {
  const origins = value.trim();
  return origins === '*'
    ? '*'
    : origins
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
}
