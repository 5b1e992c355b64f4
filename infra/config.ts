import * as pulumi from '@pulumi/pulumi';
import { MIN_SECRET_LENGTH } from '../functions/http/bearer-auth.ts';
import { MIN_USER_HASH_KEY_LENGTH } from '../functions/privacy/user-hash.ts';

/** Sizing and scaling of one function; each function's defaults, with their reasons, are in `DEFAULT_SIZING`. */
export type FunctionSizing = {
  /** Memory per instance, `Mi` or `Gi`. */
  memory: string;
  /** vCPUs per instance. Cloud Run refuses concurrency above 1 on less than one vCPU. */
  cpu: string;
  /** Instances kept warm. */
  minInstances: number;
  /** Upper bound on instances, which caps cost and the write rate a burst can cause downstream. */
  maxInstances: number;
  /** Requests one instance serves at once. */
  concurrency: number;
  /** Request timeout, seconds. */
  timeoutSeconds: number;
};

/** Sizing and scaling of a function shoppers call, and its CORS origins. */
export type ShopperFunctionSettings = FunctionSizing & {
  /** Comma-separated origins allowed by CORS, or `*`. Default `*` (tokens travel in a header, not cookies). */
  corsOrigins: string;
};

/** The `collect` function: sizing, CORS origins, and how long it trusts a shopper's privacy settings. */
export type CollectSettings = ShopperFunctionSettings & {
  /**
   * Seconds collect caches a shopper's privacy settings (`PRIVACY_CACHE_SECONDS`), 0 to 60. Default 5: at most one
   * Firestore read per shopper and instance every 5 s, and collect acts on settings at most 5 s old. 0 reads them
   * for every request.
   */
  privacyCacheSeconds: number;
};

/**
 * Sizing and scaling of the `users` function, and its CORS origins: the stack's `corsOrigins`, the same as
 * `collect`'s, since the shop's pages call both.
 */
export type UsersSettings = ShopperFunctionSettings;

/** The internal `operators` function: sizing, log level, and who may call it. */
export type OperatorsSettings = FunctionSizing & {
  /** Its `LOG_LEVEL`. Default `INFO`. */
  logLevel: LogLevel;
  /**
   * IAM members allowed to invoke it (`roles/run.invoker`), from the comma-separated stack key `operators`, each
   * `user:`, `group:`, `serviceAccount:` or `domain:`. Default none: nobody can call it until some are set.
   */
  invokers: string[];
};

/** The `ingest` function: sizing, and the learning settings it passes to the runtime. */
export type IngestSettings = FunctionSizing & {
  /**
   * Days an applied-event marker is kept (`MARKER_TTL_DAYS`). Default 8: a marker must outlive every
   * redelivery of its message, and Pub/Sub redelivers for as long as it retains a message (`messageRetention`, 7 days).
   */
  markerTtlDays: number;
  /** Shards per query's click-through counter (`CLICK_THROUGH_SHARDS`). Default 10: a document takes about one write a second. */
  clickThroughShards: number;
};

/**
 * How long Pub/Sub waits for a pushed message's answer before it delivers the message again.
 * Each push subscription uses it, so a function's timeout may not exceed it.
 */
export const PUSH_ACK_DEADLINE_SECONDS = 120;

/** Default sizes. Stack keys are the function's prefix plus the field: `ingestMemory`, `storeRejectedConcurrency`, …. */
export const DEFAULT_SIZING = {
  /**
   * Waits on Pub/Sub: 80 requests at once on one vCPU; 512Mi leaves room for that many 512 KiB bodies.
   * Scaling to zero keeps an idle shop free; `collectMinInstances 1` removes cold starts where that matters.
   */
  collect: { memory: '512Mi', cpu: '1', minInstances: 0, maxInstances: 20, concurrency: 80, timeoutSeconds: 60 },
  /**
   * Each message is one Firestore transaction plus streaming inserts: mostly waiting, so 20 at once share one
   * vCPU, and few enough that transactions stay short. 512Mi holds 20 batches and the Google clients.
   * 50 instances (1,000 messages in flight) cap the write rate a backlog can throw at Firestore and BigQuery.
   * 120 s is the push ack deadline: a longer run would be redelivered while it still runs.
   */
  ingest: { memory: '512Mi', cpu: '1', minInstances: 0, maxInstances: 50, concurrency: 20, timeoutSeconds: 120 },
  /**
   * One streaming insert per message, and rejected input is rare, so 256Mi and at most 5 instances. Concurrency 20
   * on one vCPU rather than 1 on half a vCPU: a burst of rejects (a broken client release) would otherwise meet
   * 5 busy instances and get 429s, which Pub/Sub counts as failed deliveries and dead-letters after 5; the
   * instance mostly waits on BigQuery, and a vCPU is billed only while it serves.
   */
  storeRejected: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 5, concurrency: 20, timeoutSeconds: 60 },
  /**
   * One Firestore read by document id per request, mostly waiting: 80 at once on one vCPU. 256Mi: a
   * preference document is at most 1 MiB (Firestore's limit), so 80 in flight fit beside the runtime.
   * 10 instances (800 reads in flight) cap cost and the read rate on Firestore; 30 s is ample for one read,
   * and a hung request gives its slot back sooner.
   */
  users: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 10, concurrency: 80, timeoutSeconds: 30 },
  /**
   * Called by a few people, now and then: an erasure request is a handful of Firestore writes, a status one read.
   * 10 at once on one vCPU and 2 instances are plenty, and cap what a runaway script can do; 256Mi; 60 s.
   */
  operators: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 2, concurrency: 10, timeoutSeconds: 60 },
} as const satisfies Record<string, FunctionSizing>;

/** Cloud Scheduler waits at most 30 minutes for an HTTP target's answer: a scheduled job's run must end within it. */
export const SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS = 1_800;

/** Lowest severity a function logs (its `LOG_LEVEL`). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];

/**
 * A batch job Cloud Scheduler starts. Its function serves one run at a time on one instance (`ScheduledJob`),
 * so only memory, CPU and the run's time limit vary. Stack keys are the job's prefix plus the field:
 * `patternsMemory`, `patternsSchedule`, ….
 */
export type ScheduledJobSettings = Pick<FunctionSizing, 'memory' | 'cpu' | 'timeoutSeconds'> & {
  /** When it runs, in unix-cron format (five fields), read in `timeZone`. */
  schedule: string;
  /** Time zone of the schedule, a tz database name. Default `Etc/UTC`: no daylight-saving jumps. */
  timeZone: string;
  /** Its `LOG_LEVEL`. Default `INFO`. */
  logLevel: LogLevel;
};

/** The `patterns` job: when and how big it runs, and how far behind its start its cut-off lies. */
export type PatternsSettings = ScheduledJobSettings & {
  /**
   * Minutes after `collect` receives an event by which it is in BigQuery (`PATTERNS_SETTLE_MINUTES`): the next
   * run starts this far before this run's start, so an event written late is still seen. Default 15.
   */
  settleMinutes: number;
  /**
   * Shoppers computed together (`PATTERNS_SLICE_SHOPPERS`). The run's memory grows with it, and every further
   * slice scans the analysed tables again (bytes billed). Default 20,000: under 1 GB of JS heap.
   */
  sliceShoppers: number;
};

/** Default sizes and schedules of the scheduled jobs. */
export const DEFAULT_JOBS = {
  /**
   * Nightly at 03:00 UTC, outside European shopping hours. 2Gi: a run holds the pattern rows of one slice of the
   * shoppers it processes (`sliceShoppers`) in memory to assemble, fingerprint and load them; 1 vCPU, since the work is mostly
   * waiting on BigQuery and Firestore. 1800 s is Cloud Scheduler's longest wait for an HTTP target: a longer
   * run would be given up on, and retried, while it still ran.
   */
  patterns: { memory: '2Gi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, schedule: '0 3 * * *' },
  /**
   * Hourly, at a quarter past. BigQuery refuses to delete rows still in its streaming buffer (up to about 90 minutes
   * after they were inserted), so a request that arrives with fresh rows stays pending and the next run tries again.
   * 512Mi: a run holds only the pending requests; each deletion is a DML job BigQuery runs. 1800 s: several DML
   * statements per run, each of which may queue behind others on the same table.
   */
  erasure: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, schedule: '15 * * * *' },
  /**
   * Daily at 02:30 UTC, before `patterns` at 03:00, so that patterns are not computed from expired events.
   * 512Mi: a run holds the shoppers whose retention differs from the default; the deletions are DML jobs.
   */
  retention: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, schedule: '30 2 * * *' },
  /**
   * Daily at 04:00 UTC: it measures the whole UTC day before, whose late clicks and orders (counted up to 00:30) are
   * in the warehouse by then; an hour after `patterns`, so that the nightly jobs do not run side by side.
   * 512Mi: a run holds a few dozen metric rows; the queries are BigQuery jobs.
   */
  metrics: { memory: '512Mi', cpu: '1', timeoutSeconds: SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, schedule: '0 4 * * *' },
} as const satisfies Record<string, Pick<ScheduledJobSettings, 'memory' | 'cpu' | 'timeoutSeconds' | 'schedule'>>;

/** Default `maximumBytesBilled`: 1 TiB. */
export const DEFAULT_MAXIMUM_BYTES_BILLED = 2 ** 40;

/** Everything the program reads from the stack configuration. */
export type InfraConfig = {
  /** Google Cloud project id, from `gcp:project`. Required. */
  project: string;
  /** Region of every regional resource. Default `europe-west1`. */
  region: string;
  collect: CollectSettings;
  users: UsersSettings;
  operators: OperatorsSettings;
  ingest: IngestSettings;
  storeRejected: FunctionSizing;
  /** Claims a shopper token must carry. Defaults `grocery-shop` and `learning-loop`. */
  token: { issuer: string; audience: string };
  /** How long topics and subscriptions retain messages, as Pub/Sub writes it (`604800s`). Default `7d`. */
  messageRetention: string;
  bigquery: {
    /** Dataset holding the tables of `sql/`. Default `learning_loop`, which the functions also default to. */
    dataset: string;
    /** Dataset location. Default `EU` (multi-region, holding the European region of the functions). */
    location: string;
  };
  /** Location of the `(default)` Firestore database; fixed once created. Default `eur3` (Europe multi-region). */
  firestoreLocation: string;
  patterns: PatternsSettings;
  /** The `erasure` job: GDPR erasure requests carried out across BigQuery and Firestore. */
  erasure: ScheduledJobSettings;
  /** The `retention` job: each shopper's rows older than their `retention_days` deleted. */
  retention: ScheduledJobSettings;
  /** The `metrics` job: the learning metrics of each day, into `learning_metrics` and Cloud Monitoring. */
  metrics: ScheduledJobSettings;
  /**
   * Bytes one batch-job query may bill before BigQuery refuses it (`MAXIMUM_BYTES_BILLED`): a cost guard against a
   * query that scans the whole history by mistake. Default 1 TiB. At least 10 MiB, the least a query is billed.
   */
  maximumBytesBilled: number;
  /**
   * Address mailed when an alert opens (an email notification channel). Default none: the alert policies
   * still open incidents, which show in the console's Monitoring → Alerting, but nobody is notified.
   */
  alertEmail?: string;
  /**
   * Keys from the stack's secret config (`pulumi config set --secret …`), each at least 32 characters (the functions'
   * minimum). A key not given is generated on the first `pulumi up` and kept (infra/secrets.ts).
   */
  secrets: {
    /** `userTokenKey`: verifies shopper tokens, an HS256 secret or a PEM public key. Default: a generated HS256 secret. */
    userTokenKey?: pulumi.Output<string>;
    /** `userHashKey`: the key of the user hash; it can never change once set. Default: a generated key. */
    userHashKey?: pulumi.Output<string>;
  };
};

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
type DurationUnit = keyof typeof SECONDS_PER_UNIT;

/** Reads and validates the stack configuration; the only module that touches `pulumi.Config`. */
export function loadConfig(): InfraConfig {
  const config = new pulumi.Config();
  const count = (key: string, fallback: number, range: { min: number; max?: number }): number => {
    const value = config.getNumber(key, range) ?? fallback;
    if (!Number.isInteger(value)) throw new pulumi.RunError(`${key} must be a whole number, got ${value}`);
    return value;
  };
  const sizing = (prefix: keyof typeof DEFAULT_SIZING): FunctionSizing => {
    const defaults = DEFAULT_SIZING[prefix];
    const s: FunctionSizing = {
      memory: config.get(`${prefix}Memory`, { pattern: /^\d+(Mi|Gi)$/ }) ?? defaults.memory,
      cpu: config.get(`${prefix}Cpu`, { pattern: /^\d+(\.\d+)?$/ }) ?? defaults.cpu,
      minInstances: count(`${prefix}MinInstances`, defaults.minInstances, { min: 0 }),
      maxInstances: count(`${prefix}MaxInstances`, defaults.maxInstances, { min: 1 }),
      concurrency: count(`${prefix}Concurrency`, defaults.concurrency, { min: 1, max: 1000 }),
      timeoutSeconds: count(`${prefix}TimeoutSeconds`, defaults.timeoutSeconds, { min: 1, max: 3600 }),
    };
    // Cloud Run functions refuse to deploy these combinations; failing here names the setting at fault.
    if (s.concurrency > 1 && Number(s.cpu) < 1) {
      throw new pulumi.RunError(`${prefix}Concurrency ${s.concurrency} needs ${prefix}Cpu ≥ 1, got ${s.cpu}`);
    }
    if (s.minInstances > s.maxInstances) {
      throw new pulumi.RunError(`${prefix}MinInstances ${s.minInstances} exceeds ${prefix}MaxInstances ${s.maxInstances}`);
    }
    return s;
  };
  const pushed = (prefix: 'ingest' | 'storeRejected'): FunctionSizing => {
    const s = sizing(prefix);
    if (s.timeoutSeconds > PUSH_ACK_DEADLINE_SECONDS) {
      throw new pulumi.RunError(
        `${prefix}TimeoutSeconds ${s.timeoutSeconds} exceeds the push ack deadline of ${PUSH_ACK_DEADLINE_SECONDS} s: Pub/Sub would redeliver messages still running`,
      );
    }
    return s;
  };

  const retentionText = config.get('messageRetention') ?? '7d';
  const retentionSeconds = retentionSecondsOf('messageRetention', retentionText);
  const markerTtlDays = config.getNumber('markerTtlDays', { min: 0 }) ?? 8;
  // A marker that expires while its message can still be redelivered lets that message be learned from twice.
  if (markerTtlDays * SECONDS_PER_UNIT.d <= retentionSeconds) {
    throw new pulumi.RunError(`markerTtlDays ${markerTtlDays} must exceed messageRetention ${retentionText}: markers must outlive redelivery`);
  }

  const corsOrigins = config.get('corsOrigins', { minLength: 1 }) ?? '*';
  // A key the functions would refuse stops the program, naming the key and never its value (the `minLength` option of
  // pulumi.Config would quote it). Read as plain text only to be checked, then passed on as a secret.
  const secretKey = (key: string, minLength: number): pulumi.Output<string> | undefined => {
    const value = config.get(key);
    if (value === undefined) return undefined;
    if (value.length < minLength) throw new pulumi.RunError(`${key} must have at least ${minLength} characters`);
    return pulumi.secret(value);
  };
  const logLevelOf = (key: string): LogLevel => {
    const logLevel = config.get(key) ?? 'INFO';
    if (!isLogLevel(logLevel)) throw new pulumi.RunError(`${key} must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    return logLevel;
  };

  const scheduledJob = (prefix: keyof typeof DEFAULT_JOBS): ScheduledJobSettings => {
    const defaults = DEFAULT_JOBS[prefix];
    const timeoutSeconds = count(`${prefix}TimeoutSeconds`, defaults.timeoutSeconds, { min: 1, max: 3600 });
    // Cloud Scheduler's attempt deadline is the run's time limit, and it takes 15 s to 30 minutes.
    if (timeoutSeconds < 15 || timeoutSeconds > SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS) {
      throw new pulumi.RunError(
        `${prefix}TimeoutSeconds ${timeoutSeconds} must be between 15 and ${SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS}: Cloud Scheduler waits no longer for a run`,
      );
    }
    const schedule = config.get(`${prefix}Schedule`) ?? defaults.schedule;
    if (!/^\S+(\s+\S+){4}$/.test(schedule.trim())) {
      throw new pulumi.RunError(`${prefix}Schedule must be a unix-cron expression of five fields, e.g. "0 3 * * *", got "${schedule}"`);
    }
    const timeZone = config.get(`${prefix}TimeZone`) ?? 'Etc/UTC';
    if (!isTimeZone(timeZone)) throw new pulumi.RunError(`${prefix}TimeZone must be a tz database name such as Europe/Amsterdam, got "${timeZone}"`);
    return {
      memory: config.get(`${prefix}Memory`, { pattern: /^\d+(Mi|Gi)$/ }) ?? defaults.memory,
      cpu: config.get(`${prefix}Cpu`, { pattern: /^\d+(\.\d+)?$/ }) ?? defaults.cpu,
      timeoutSeconds,
      schedule: schedule.trim(),
      timeZone,
      logLevel: logLevelOf(`${prefix}LogLevel`),
    };
  };

  return {
    project: new pulumi.Config('gcp').require('project'),
    region: config.get('region', { minLength: 1 }) ?? 'europe-west1',
    collect: { ...sizing('collect'), corsOrigins, privacyCacheSeconds: count('privacyCacheSeconds', 5, { min: 0, max: 60 }) },
    users: { ...sizing('users'), corsOrigins },
    operators: { ...sizing('operators'), logLevel: logLevelOf('operatorsLogLevel'), invokers: membersOf('operators', config.get('operators') ?? '') },
    ingest: { ...pushed('ingest'), markerTtlDays, clickThroughShards: count('clickThroughShards', 10, { min: 1, max: 1000 }) },
    storeRejected: pushed('storeRejected'),
    token: {
      issuer: config.get('tokenIssuer', { minLength: 1 }) ?? 'grocery-shop',
      audience: config.get('tokenAudience', { minLength: 1 }) ?? 'learning-loop',
    },
    messageRetention: `${retentionSeconds}s`,
    bigquery: {
      // BigQuery's rule for dataset ids; the functions check the same.
      dataset: config.get('bigqueryDataset', { pattern: /^\w{1,1024}$/ }) ?? 'learning_loop',
      location: config.get('bigqueryLocation', { minLength: 1 }) ?? 'EU',
    },
    firestoreLocation: config.get('firestoreLocation', { minLength: 1 }) ?? 'eur3',
    patterns: { ...scheduledJob('patterns'), settleMinutes: count('patternsSettleMinutes', 15, { min: 0, max: 1440 }),
      sliceShoppers: count('patternsSliceShoppers', 20_000, { min: 1, max: 1_000_000 }),
    },
    erasure: scheduledJob('erasure'),
    retention: scheduledJob('retention'),
    metrics: scheduledJob('metrics'),
    // BigQuery bills every query at least 10 MiB: a lower cap would refuse every one.
    maximumBytesBilled: count('maximumBytesBilled', DEFAULT_MAXIMUM_BYTES_BILLED, { min: 10 * 2 ** 20, max: Number.MAX_SAFE_INTEGER }),
    // One address, as Cloud Monitoring's email channel takes it; a list needs a channel (or a group address) each.
    alertEmail: config.get('alertEmail', { pattern: /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/ }),
    secrets: { userTokenKey: secretKey('userTokenKey', MIN_SECRET_LENGTH), userHashKey: secretKey('userHashKey', MIN_USER_HASH_KEY_LENGTH) },
  };
}

/** `7d` → 604800, within what Pub/Sub accepts for topic and subscription retention (10 minutes to 31 days). */
function retentionSecondsOf(key: string, text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new pulumi.RunError(`${key} must look like 7d, 12h, 30m or 600s, got "${text}"`);
  const seconds = Number(match[1]) * SECONDS_PER_UNIT[match[2] as DurationUnit];
  if (seconds < 600 || seconds > 31 * SECONDS_PER_UNIT.d) {
    throw new pulumi.RunError(`${key} must be between 10 minutes and 31 days, got ${text}`);
  }
  return seconds;
}

/**
 * `group:privacy-ops@example.com, user:dpo@example.com` → the members, each a person, group, account or domain: never
 * a public principal (`allUsers` would let anyone erase anyone), nor a bare address, which IAM would refuse only at deploy.
 */
function membersOf(key: string, text: string): string[] {
  const members = text
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '');
  for (const member of members) {
    const domain = /^domain:[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(member);
    const address = /^(user|group|serviceAccount):[^\s@:,]+@[^\s@:,]+\.[^\s@:,]+$/.test(member);
    if (!domain && !address) {
      throw new pulumi.RunError(
        `${key} must be a comma-separated list of IAM members such as group:privacy-ops@example.com or domain:example.com, got "${member}"`,
      );
    }
  }
  return [...new Set(members)];
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isLogLevel(value: string): value is LogLevel {
  return LOG_LEVELS.some((level) => level === value);
}
