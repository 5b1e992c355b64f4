import { z } from 'zod';
import { DEFAULT_TIME_LIMITS } from './events/limits.ts';
import { describeIssues } from './events/describe-issues.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting the functions read, from environment variables, validated at start-up.
 * The README lists them; each field's default is written here once.
 */
const Env = z.object({
  /** Google Cloud project id. Required. */
  GOOGLE_CLOUD_PROJECT: z.string().min(1),
  /** Topic for accepted event batches. Default `events`. */
  EVENTS_TOPIC: z.string().min(1).default('events'),
  /** Topic for rejected events, kept for inspection. Default `rejected-events`. */
  REJECTED_EVENTS_TOPIC: z.string().min(1).default('rejected-events'),
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
  /** Oldest accepted event, days after skew correction. Default 30. */
  MAX_EVENT_AGE_DAYS: z.coerce.number().positive().default(DEFAULT_TIME_LIMITS.maxEventAgeMs / 86_400_000),
  /** How far `occurred_at` may run ahead of `sent_at`, seconds. Default 300. */
  MAX_FUTURE_SKEW_SECONDS: z.coerce.number().nonnegative().default(DEFAULT_TIME_LIMITS.maxFutureSkewMs / 1000),
  /** Pub/Sub publisher batching: messages per batch. Default 100. */
  PUBLISH_BATCH_MAX_MESSAGES: positiveInt(100),
  /** Pub/Sub publisher batching: longest wait before a batch is sent, ms. Default 5. */
  PUBLISH_BATCH_MAX_MILLISECONDS: z.coerce.number().int().nonnegative().default(5),
  /** Pub/Sub publisher batching: bytes per batch. Default 1 MiB. */
  PUBLISH_BATCH_MAX_BYTES: positiveInt(1024 * 1024),
  /** Lowest severity written to the log. Default `INFO`. */
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']).default('INFO'),
});

export type Settings = {
  projectId: string;
  topics: { events: string; rejected: string };
  token: { key: string; issuer: string; audience: string; clockToleranceSec: number };
  corsOrigins: string[] | '*';
  timeLimits: { maxEventAgeMs: number; maxFutureSkewMs: number };
  publishBatching: { maxMessages: number; maxMilliseconds: number; maxBytes: number };
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
};

export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid settings: ${describeIssues(parsed.error)}`);
  const e = parsed.data;
  const origins = e.CORS_ORIGINS.trim();
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    topics: { events: e.EVENTS_TOPIC, rejected: e.REJECTED_EVENTS_TOPIC },
    token: {
      key: e.TOKEN_KEY,
      issuer: e.TOKEN_ISSUER,
      audience: e.TOKEN_AUDIENCE,
      clockToleranceSec: e.TOKEN_CLOCK_TOLERANCE_SECONDS,
    },
    corsOrigins: origins === '*' ? '*' : origins.split(',').map((o) => o.trim()).filter(Boolean),
    timeLimits: {
      maxEventAgeMs: e.MAX_EVENT_AGE_DAYS * 86_400_000,
      maxFutureSkewMs: e.MAX_FUTURE_SKEW_SECONDS * 1000,
    },
    publishBatching: {
      maxMessages: e.PUBLISH_BATCH_MAX_MESSAGES,
      maxMilliseconds: e.PUBLISH_BATCH_MAX_MILLISECONDS,
      maxBytes: e.PUBLISH_BATCH_MAX_BYTES,
    },
    logLevel: e.LOG_LEVEL,
  };
}
