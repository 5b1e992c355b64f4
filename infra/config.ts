import * as pulumi from '@pulumi/pulumi';

/** Sizing and scaling of the `collect` function. */
export type CollectSettings = {
  /** Memory per instance. Default `512Mi`. */
  memory: string;
  /** vCPUs per instance. Default `1`: an instance needs a whole vCPU to serve concurrent requests. */
  cpu: string;
  /** Instances kept warm. Default 0. */
  minInstances: number;
  /** Upper bound on instances, which caps cost and the publish rate a burst can cause. Default 20. */
  maxInstances: number;
  /** Requests one instance serves at once. Default 80. */
  concurrency: number;
  /** Request timeout, seconds. Default 60. */
  timeoutSeconds: number;
  /** Comma-separated origins allowed by CORS, or `*`. Default `*` (tokens travel in a header, not cookies). */
  corsOrigins: string;
};

/** Everything the program reads from the stack configuration. */
export type InfraConfig = {
  /** Google Cloud project id, from `gcp:project`. Required. */
  project: string;
  /** Region of every regional resource. Default `europe-west1`. */
  region: string;
  collect: CollectSettings;
  /** Claims a shopper token must carry. Defaults `grocery-shop` and `learning-loop`. */
  token: { issuer: string; audience: string };
  /** How long topics and keeping subscriptions retain messages, as Pub/Sub writes it (`604800s`). Default `7d`. */
  messageRetention: string;
};

/** Reads and validates the stack configuration; the only module that touches `pulumi.Config`. */
export function loadConfig(): InfraConfig {
  const config = new pulumi.Config();
  const count = (key: string, fallback: number, range: { min: number; max?: number }): number => {
    const value = config.getNumber(key, range) ?? fallback;
    if (!Number.isInteger(value)) throw new pulumi.RunError(`${key} must be a whole number, got ${value}`);
    return value;
  };

  const collect: CollectSettings = {
    memory: config.get('collectMemory', { pattern: /^\d+(Mi|Gi)$/ }) ?? '512Mi',
    cpu: config.get('collectCpu', { pattern: /^\d+(\.\d+)?$/ }) ?? '1',
    minInstances: count('collectMinInstances', 0, { min: 0 }),
    maxInstances: count('collectMaxInstances', 20, { min: 1 }),
    concurrency: count('collectConcurrency', 80, { min: 1, max: 1000 }),
    timeoutSeconds: count('collectTimeoutSeconds', 60, { min: 1, max: 3600 }),
    corsOrigins: config.get('corsOrigins', { minLength: 1 }) ?? '*',
  };
  // Cloud Run functions refuse to deploy these combinations; failing here names the setting at fault.
  if (collect.concurrency > 1 && Number(collect.cpu) < 1) {
    throw new pulumi.RunError(`collectConcurrency ${collect.concurrency} needs collectCpu ≥ 1, got ${collect.cpu}`);
  }
  if (collect.minInstances > collect.maxInstances) {
    throw new pulumi.RunError(`collectMinInstances ${collect.minInstances} exceeds collectMaxInstances ${collect.maxInstances}`);
  }

  return {
    project: new pulumi.Config('gcp').require('project'),
    region: config.get('region', { minLength: 1 }) ?? 'europe-west1',
    collect,
    token: {
      issuer: config.get('tokenIssuer', { minLength: 1 }) ?? 'grocery-shop',
      audience: config.get('tokenAudience', { minLength: 1 }) ?? 'learning-loop',
    },
    messageRetention: pubsubDuration('messageRetention', config.get('messageRetention') ?? '7d'),
  };
}

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
type DurationUnit = keyof typeof SECONDS_PER_UNIT;

/** `7d` → `604800s`, within what Pub/Sub accepts for topic and subscription retention (10 minutes to 31 days). */
function pubsubDuration(key: string, text: string): string {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new pulumi.RunError(`${key} must look like 7d, 12h, 30m or 600s, got "${text}"`);
  const seconds = Number(match[1]) * SECONDS_PER_UNIT[match[2] as DurationUnit];
  if (seconds < 600 || seconds > 31 * SECONDS_PER_UNIT.d) {
    throw new pulumi.RunError(`${key} must be between 10 minutes and 31 days, got ${text}`);
  }
  return `${seconds}s`;
}
