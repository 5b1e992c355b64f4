import { TokenEnv, UserHashEnv, WarehouseEnv } from '../config.ts';
import { envNames } from '../kernel/env-names.ts';
import { FUNCTION_TOPICS, TOPICS, type Topic } from '../events/topics.ts';
import { byName, FUNCTIONS, SCHEDULED, type FunctionName, type Scheduled } from '../registry.ts';
import { LOCAL } from './local-settings.ts';
import type { TopicPlan } from './provision.ts';
import type { ScheduledCall } from './scheduler.ts';

// The registry's functions as the local stack runs them: a port each, push subscriptions for those Pub/Sub
// triggers, and the local scheduler for the scheduled ones. A function added to the registry is served,
// pushed to or scheduled here without a change to this folder.

type Emulator = keyof typeof LOCAL.emulatorPorts;
export type JobName = Scheduled['name'];

/** The functions Cloud Scheduler starts, in the registry's order: the jobs of the local scheduler and `npm run job`. */
export const JOBS = SCHEDULED;

/** `storeRejected` → `STORE_REJECTED`: a function's name in the local stack's variables. */
export function envPrefix(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The local stack's own environment variables: what each moves or changes. docs/local.md lists them. */
export const LOCAL_ENV = {
  ports: {
    ...byName(FUNCTIONS, (fn) => `${envPrefix(fn.name)}_PORT`),
    pubsub: 'PUBSUB_EMULATOR_PORT',
    firestore: 'FIRESTORE_EMULATOR_PORT',
  },
  scheduleMinutes: byName(JOBS, (job) => `${envPrefix(job.name)}_EVERY_MINUTES`),
  warehouseFile: 'WAREHOUSE_FILE',
} as const;

/** Every environment variable the local stack reads for itself (the functions' own are `SETTING_NAMES`). */
export const LOCAL_SETTING_NAMES: readonly string[] = [
  ...Object.values(LOCAL_ENV.ports),
  ...Object.values(LOCAL_ENV.scheduleMinutes),
  LOCAL_ENV.warehouseFile,
];

export type LocalPorts = Record<FunctionName | Emulator, number>;

/** Each function's port and each emulator's: its descriptor's (or the emulator's) unless its variable moves it. */
export function localPorts(env: NodeJS.ProcessEnv): LocalPorts {
  const port = (service: FunctionName | Emulator, fallback: number) => {
    const name = LOCAL_ENV.ports[service];
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a TCP port, got ${env[name]}`);
    return value;
  };
  return {
    ...byName(FUNCTIONS, (fn) => port(fn.name, fn.localPort)),
    pubsub: port('pubsub', LOCAL.emulatorPorts.pubsub),
    firestore: port('firestore', LOCAL.emulatorPorts.firestore),
  };
}

/** Minutes between the local scheduler's runs of each job: its descriptor's, unless `<JOB>_EVERY_MINUTES` says otherwise. */
export function scheduleMinutes(env: NodeJS.ProcessEnv): Record<JobName, number> {
  const minutes = (job: Scheduled) => {
    const name = LOCAL_ENV.scheduleMinutes[job.name];
    const value = Number(env[name] ?? job.trigger.localEveryMinutes);
    if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${env[name]}`);
    return value;
  };
  return byName(JOBS, minutes);
}

/** What the local scheduler calls: each job's function on its own port, as Cloud Scheduler calls it in production. */
export function localSchedule(ports: LocalPorts, every: Record<JobName, number>): ScheduledCall[] {
  return JOBS.map((job) => ({ job: job.name, url: `http://127.0.0.1:${ports[job.name]}/`, everyMs: every[job.name] * 60_000 }));
}

/**
 * The topics and subscriptions of the local stack: for each function with a Pub/Sub trigger, a push subscription to
 * its port with production's dead-letter policy; a pull subscription that keeps dead letters; and the tails that
 * echo what was published.
 */
export function pubSubPlan(ports: LocalPorts): TopicPlan[] {
  // The Functions Framework names the topic in the CloudEvent from this path, as in production.
  const pushTo = (port: number, topic: string) => `http://127.0.0.1:${port}/projects/${LOCAL.projectId}/topics/${topic}`;
  const pushed = (topic: Topic) =>
    FUNCTIONS.flatMap((fn) =>
      fn.trigger.kind === 'pubsub' && fn.trigger.topic === topic
        ? [
            {
              name: fn.trigger.subscription,
              pushEndpoint: pushTo(ports[fn.name], TOPICS[topic]),
              deadLetterTopic: TOPICS.deadLetter,
              maxDeliveryAttempts: LOCAL.maxDeliveryAttempts,
            },
          ]
        : [],
    );
  return [
    { topic: TOPICS.deadLetter, subscriptions: [{ name: LOCAL.subscriptions.deadLetters }] },
    ...FUNCTION_TOPICS.map((topic) => ({ topic: TOPICS[topic], subscriptions: [...pushed(topic), { name: LOCAL.tails[topic] }] })),
  ];
}

const TOKEN = envNames(TokenEnv);
const HASH = envNames(UserHashEnv);
const STORE = envNames(WarehouseEnv);

/**
 * The environment every function of the local stack starts with: the emulators, the development keys (unless `env`
 * gives others), the topics each function publishes to, the URLs of the functions each calls (on their local
 * ports), and the local warehouse file.
 */
export function functionEnvironment(
  env: NodeJS.ProcessEnv,
  emulators: Record<string, string>,
  warehouseFile: string,
  ports: LocalPorts,
): NodeJS.ProcessEnv {
  const needs: { publishes: Partial<Record<Topic, string>>; calls?: Readonly<Record<string, string>> }[] = FUNCTIONS.map((fn) => fn.needs);
  const topics = needs.flatMap(({ publishes }) =>
    FUNCTION_TOPICS.flatMap((topic): [string, string][] => {
      const env = publishes[topic];
      return env ? [[env, TOPICS[topic]]] : [];
    }),
  );
  const portOf = (name: string) => (FUNCTIONS.some((fn) => fn.name === name) ? ports[name as FunctionName] : undefined);
  const callees = needs.flatMap(({ calls }) =>
    Object.entries(calls ?? {}).map(([callee, variable]): [string, string] => {
      const port = portOf(callee);
      if (port === undefined) throw new Error(`a function calls ${callee}, which the registry does not have`);
      return [variable, `http://127.0.0.1:${port}/`];
    }),
  );
  return {
    ...env,
    ...emulators,
    [TOKEN.TOKEN_KEY]: env[TOKEN.TOKEN_KEY] ?? LOCAL.tokenKey,
    [HASH.USER_HASH_KEY]: env[HASH.USER_HASH_KEY] ?? LOCAL.userHashKey,
    [TOKEN.TOKEN_ISSUER]: LOCAL.tokenIssuer,
    [TOKEN.TOKEN_AUDIENCE]: LOCAL.tokenAudience,
    ...Object.fromEntries(topics),
    ...Object.fromEntries(callees),
    [STORE.WAREHOUSE]: `duckdb:${warehouseFile}`,
  };
}
