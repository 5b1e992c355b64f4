import * as pulumi from '@pulumi/pulumi';
import { PUSH_ACK_DEADLINE_SECONDS, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, type JobSizing, type Sizing } from '../functions/descriptor.ts';
import { MIN_SECRET_LENGTH } from '../functions/http/bearer-auth.ts';
import { MIN_USER_HASH_KEY_LENGTH } from '../functions/privacy/user-hash.ts';
import {
  byName,
  OPERATOR_FACING,
  PUSHED,
  SCHEDULED,
  SHOPPER_FACING,
  type OperatorFacing,
  type Pushed,
  type Scheduled,
  type ShopperFacing,
} from '../functions/registry.ts';

/** Sizing and scaling of one function; each function's defaults, with their reasons, are in its descriptor (`sizing`). */
export type FunctionSizing = Sizing;

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

/** A function operators call (`operators`): sizing, log level, and who may call it. */
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
};

/** Lowest severity a function logs (its `LOG_LEVEL`). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];

/**
 * A batch job Cloud Scheduler starts. Its function serves one run at a time on one instance (`ScheduledJob`),
 * so only memory, CPU and the run's time limit vary. Stack keys are the job's name plus the field:
 * `patternsMemory`, `patternsSchedule`, ….
 */
export type ScheduledJobSettings = JobSizing & {
  /** When it runs, in unix-cron format (five fields), read in `timeZone`. Default: its descriptor's `trigger.cron`. */
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

/**
 * Each function's settings, under its name: those of its kind (`ShopperFunctionSettings` for a function shoppers
 * call, `OperatorsSettings`, `FunctionSizing` for a pushed one, `ScheduledJobSettings` for a job), and for a few
 * functions settings of their own besides.
 */
export type FunctionSettings = Record<ShopperFacing['name'], ShopperFunctionSettings> &
  Record<OperatorFacing['name'], OperatorsSettings> &
  Record<Pushed['name'], FunctionSizing> &
  Record<Scheduled['name'], ScheduledJobSettings> & { collect: CollectSettings; ingest: IngestSettings; patterns: PatternsSettings };

/** Default `maximumBytesBilled`: 1 TiB. */
export const DEFAULT_MAXIMUM_BYTES_BILLED = 2 ** 40;

/** Everything the program reads from the stack configuration. */
export type InfraConfig = FunctionSettings & {
  /** Google Cloud project id, from `gcp:project`. Required. */
  project: string;
  /** Region of every regional resource. Default `europe-west1`. */
  region: string;
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
  // Stack keys are a function's name plus the field: `ingestMemory`, `storeRejectedConcurrency`, `patternsSchedule`, ….
  const sizing = ({ name: prefix, sizing: defaults }: { name: string; sizing: FunctionSizing }): FunctionSizing => {
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
  const pushed = (fn: Pushed): FunctionSizing => {
    const prefix = fn.name;
    const s = sizing(fn);
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
    throw new pulumi.RunError(
      `markerTtlDays ${markerTtlDays} must exceed messageRetention ${retentionText}: markers must outlive redelivery`,
    );
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

  const scheduledJob = ({ name: prefix, sizing: defaults, trigger }: Scheduled): ScheduledJobSettings => {
    const timeoutSeconds = count(`${prefix}TimeoutSeconds`, defaults.timeoutSeconds, { min: 1, max: 3600 });
    // Cloud Scheduler's attempt deadline is the run's time limit, and it takes 15 s to 30 minutes.
    if (timeoutSeconds < 15 || timeoutSeconds > SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS) {
      throw new pulumi.RunError(
        `${prefix}TimeoutSeconds ${timeoutSeconds} must be between 15 and ${SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS}: Cloud Scheduler waits no longer for a run`,
      );
    }
    const schedule = config.get(`${prefix}Schedule`) ?? trigger.cron;
    if (!/^\S+(\s+\S+){4}$/.test(schedule.trim())) {
      throw new pulumi.RunError(`${prefix}Schedule must be a unix-cron expression of five fields, e.g. "0 3 * * *", got "${schedule}"`);
    }
    const timeZone = config.get(`${prefix}TimeZone`) ?? 'Etc/UTC';
    if (!isTimeZone(timeZone))
      throw new pulumi.RunError(`${prefix}TimeZone must be a tz database name such as Europe/Amsterdam, got "${timeZone}"`);
    return {
      memory: config.get(`${prefix}Memory`, { pattern: /^\d+(Mi|Gi)$/ }) ?? defaults.memory,
      cpu: config.get(`${prefix}Cpu`, { pattern: /^\d+(\.\d+)?$/ }) ?? defaults.cpu,
      timeoutSeconds,
      schedule: schedule.trim(),
      timeZone,
      logLevel: logLevelOf(`${prefix}LogLevel`),
    };
  };

  // Every function's settings by what calls it; then the settings only some functions have.
  const functions = {
    ...byName(SHOPPER_FACING, (fn): ShopperFunctionSettings => ({ ...sizing(fn), corsOrigins })),
    // The stack's `operators` may call every function operators call.
    ...byName(OPERATOR_FACING, (fn): OperatorsSettings => ({
      ...sizing(fn),
      logLevel: logLevelOf(`${fn.name}LogLevel`),
      invokers: membersOf('operators', config.get('operators') ?? ''),
    })),
    ...byName(PUSHED, pushed),
    ...byName(SCHEDULED, scheduledJob),
  };

  return {
    project: new pulumi.Config('gcp').require('project'),
    region: config.get('region', { minLength: 1 }) ?? 'europe-west1',
    ...functions,
    collect: { ...functions.collect, privacyCacheSeconds: count('privacyCacheSeconds', 5, { min: 0, max: 60 }) },
    ingest: { ...functions.ingest, markerTtlDays },
    patterns: {
      ...functions.patterns,
      settleMinutes: count('patternsSettleMinutes', 15, { min: 0, max: 1440 }),
      sliceShoppers: count('patternsSliceShoppers', 20_000, { min: 1, max: 1_000_000 }),
    },
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
    // BigQuery bills every query at least 10 MiB: a lower cap would refuse every one.
    maximumBytesBilled: count('maximumBytesBilled', DEFAULT_MAXIMUM_BYTES_BILLED, { min: 10 * 2 ** 20, max: Number.MAX_SAFE_INTEGER }),
    // One address, as Cloud Monitoring's email channel takes it; a list needs a channel (or a group address) each.
    alertEmail: config.get('alertEmail', { pattern: /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/ }),
    secrets: {
      userTokenKey: secretKey('userTokenKey', MIN_SECRET_LENGTH),
      userHashKey: secretKey('userHashKey', MIN_USER_HASH_KEY_LENGTH),
    },
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
