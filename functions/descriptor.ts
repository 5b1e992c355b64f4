import type { CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import type { MessagePublishedData } from './events/messages.ts';
import type { Topic } from './events/topics.ts';
import { envNames, type EnvNames } from './kernel/env-names.ts';
import type { Platform } from './platform.ts';
import type { TableAccess } from './warehouse/table-access.ts';

// A function describes itself once, in its own folder, and functions/registry.ts lists the descriptions. The shape
// follows the Functions Framework's registry (src/function_registry.ts of GoogleCloudPlatform/functions-framework-nodejs):
// one map from a function's name to its signature type and handler, where everything else looks functions up. Each
// entry here also says how the function is triggered, what it reads from the environment and what it needs from the
// cloud, so that the entry file, the local stack, `npm run job` and infra/ (a Pulumi component per function, as in
// Pulumi's component guide) all loop over the one list.

/**
 * How a function is called. `http`: by shoppers, who bring their token (the function is public), or by operators,
 * whom Cloud Run authenticates. `pubsub`: each message of `topic`, pushed to it by its own subscription, with retries
 * and dead letters. `schedule`: Cloud Scheduler posts `{}` on `cron` (unix-cron, the production default; the stack
 * may change it), and the local scheduler every `localEveryMinutes`.
 */
export type Trigger =
  | { kind: 'http'; callers: 'shoppers' | 'operators' }
  | { kind: 'pubsub'; topic: Topic; subscription: string }
  | { kind: 'schedule'; cron: string; localEveryMinutes: number };

/** Cloud Scheduler waits at most 30 minutes for an HTTP target's answer: a scheduled job's run must end within it. */
export const SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS = 1_800;

/**
 * How long Pub/Sub waits for a pushed message's answer before it delivers the message again. Each push subscription
 * uses it, so a pushed function's timeout may not exceed it.
 */
export const PUSH_ACK_DEADLINE_SECONDS = 120;

/** Sizing and scaling of a function's instances. */
export type Sizing = {
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

/** A scheduled job serves one run at a time on one instance: only memory, CPU and the run's time limit vary. */
export type JobSizing = Pick<Sizing, 'memory' | 'cpu' | 'timeoutSeconds'>;

/** A secret a function reads from the environment: Secret Manager provides it in production. */
export type SecretName = 'TOKEN_KEY' | 'USER_HASH_KEY';

/** What a function needs from the cloud: infra/ grants exactly this, and the local stack provides it. */
export type Needs<S extends z.ZodObject = z.ZodObject> = {
  /** The warehouse tables it reads and writes, and how; none when it never touches the warehouse. */
  warehouse?: TableAccess;
  /** Whether it reads Firestore, or reads and writes it. */
  firestore: 'none' | 'read' | 'write';
  /** The secrets it reads, each a setting of its own. */
  secrets: readonly (SecretName & keyof S['shape'])[];
  /** The topics it publishes to, each with the setting that names it. */
  publishes: Partial<Record<Topic, keyof S['shape'] & string>>;
  /**
   * Other functions of the registry it calls over HTTP, each by its name with the setting that gives it the callee's
   * URL: infra/ lets its account invoke the callee, and the local stack points the setting at the callee's port.
   */
  calls?: Readonly<Record<string, keyof S['shape'] & string>>;
  /**
   * The Cloud Storage bucket of history imports, with the setting that names it: infra/ makes the bucket and lets its
   * account read, write and delete objects there. The local stack has no bucket: it reads files of its own machine.
   */
  importBucket?: keyof S['shape'] & string;
};

/** A handler as the Functions Framework registers it: an HTTP function, or a function of the CloudEvents of pushed messages. */
export type Registration =
  { signature: 'http'; handler: HttpFunction } | { signature: 'cloudevent'; handler: CloudEventFunction<MessagePublishedData> };

/** Pushed messages arrive as CloudEvents; everything else is an HTTP request. */
export type RegistrationOf<T extends Trigger> = T extends { kind: 'pubsub' }
  ? Extract<Registration, { signature: 'cloudevent' }>
  : Extract<Registration, { signature: 'http' }>;

/** `ff.http(name, handler)`, as a value. */
export function httpFunction(handler: HttpFunction): Extract<Registration, { signature: 'http' }> {
  return { signature: 'http', handler };
}

/** `ff.cloudEvent(name, handler)`, as a value. */
export function cloudEventFunction(handler: CloudEventFunction<MessagePublishedData>): Extract<Registration, { signature: 'cloudevent' }> {
  return { signature: 'cloudevent', handler };
}

type Spec<Name extends string, T extends Trigger, S extends z.ZodObject, N extends Needs<S>, Settings> = {
  /** The entry point: what the Functions Framework registers it as, and what FUNCTION_TARGET names. */
  name: Name;
  /** What it does, in a line (the scheduler job's description, for a job). */
  summary: string;
  trigger: T;
  /** Its port in the local stack; `<NAME>_PORT` moves it. */
  localPort: number;
  /** Its environment variables, validated by `schema` (zod, each field's doc giving its default), and read by `load`. */
  settings: { schema: S; load: (env: NodeJS.ProcessEnv) => Settings };
  needs: N;
  /** Default sizes, each with its reason; the stack's keys `<name>Memory`, … override them (infra/config.ts). */
  sizing: T extends { kind: 'schedule' } ? JobSizing : Sizing;
  /** Builds its handler from its settings and the clients of this process. */
  create(settings: Settings, platform: Platform): Promise<RegistrationOf<T>>;
};

/** A function, as it describes itself. */
export type FunctionDescriptor<
  Name extends string = string,
  T extends Trigger = Trigger,
  S extends z.ZodObject = z.ZodObject,
  N extends Needs<S> = Needs<S>,
  Settings = unknown,
> = Omit<Spec<Name, T, S, N, Settings>, 'settings'> & {
  settings: Spec<Name, T, S, N, Settings>['settings'] & { env: EnvNames<S> };
  /** Reads its settings from `env` and builds its handler: what the entry file registers. */
  build(env: NodeJS.ProcessEnv, platform: Platform): Promise<RegistrationOf<T>>;
};

/** Describes a function: its name, trigger, settings, handler factory and needs, checked against each other by type. */
export function defineFunction<
  const Name extends string,
  const T extends Trigger,
  S extends z.ZodObject,
  const N extends Needs<S>,
  Settings,
>(spec: Spec<Name, T, S, N, Settings>): FunctionDescriptor<Name, T, S, N, Settings> {
  return {
    ...spec,
    settings: { ...spec.settings, env: envNames(spec.settings.schema) },
    build: async (env, platform) => spec.create(spec.settings.load(env), platform),
  };
}
