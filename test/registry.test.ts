import { beforeAll, describe, expect, it } from 'vitest';
import { PUSH_ACK_DEADLINE_SECONDS, SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS, type SecretName } from '../functions/descriptor.ts';
import { FUNCTION_TOPICS, TOPICS } from '../functions/events/topics.ts';
import { functionEnvironment, localPorts, localSchedule, pubSubPlan, scheduleMinutes } from '../functions/local/local-functions.ts';
import { LOCAL } from '../functions/local/local-settings.ts';
import { FUNCTIONS, PUSHED, SCHEDULED } from '../functions/registry.ts';
import { resourceName } from '../infra/functions.ts';
import { named, objectAt, ofType, runProgram, TYPES, type Registered } from './infra/run-program.ts';
import { namesRead } from './support/names-read.ts';

// The one list of functions, as the entry file, the local stack, `npm run job` and infra/ read it: each descriptor
// must be whole and agree with itself, and each reader must make exactly one of everything from it.

const SECRETS: readonly SecretName[] = ['TOKEN_KEY', 'USER_HASH_KEY'];
const names = FUNCTIONS.map((fn) => fn.name);
/** What the local stack starts every function with, emulators and all. */
const LOCAL_ENV = functionEnvironment(
  { GOOGLE_CLOUD_PROJECT: LOCAL.projectId },
  { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086' },
  '/tmp/warehouse.duckdb',
  localPorts({}),
);

describe('every function of the registry', () => {
  it('has a name of its own that the Functions Framework takes (letters, digits, dashes)', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9-]+$/);
  });

  it.each(FUNCTIONS)('$name has a trigger Cloud Functions can serve', ({ trigger }) => {
    if (trigger.kind === 'schedule') {
      expect(trigger.cron.trim()).toMatch(/^\S+(\s+\S+){4}$/);
      expect(trigger.localEveryMinutes).toBeGreaterThan(0);
    } else if (trigger.kind === 'pubsub') {
      expect(FUNCTION_TOPICS).toContain(trigger.topic);
      expect(trigger.subscription).toMatch(/^[a-z][a-z0-9-]{2,254}$/);
    } else {
      expect(['shoppers', 'operators']).toContain(trigger.callers);
    }
  });

  it('has a push subscription of its own when Pub/Sub pushes to it', () => {
    const subscriptions = PUSHED.map((fn) => fn.trigger.subscription);

    expect(new Set(subscriptions).size).toBe(subscriptions.length);
  });

  it('has a local port of its own, apart from the emulators', () => {
    const ports = [...FUNCTIONS.map((fn) => fn.localPort), ...Object.values(LOCAL.emulatorPorts)];

    expect(new Set(ports).size).toBe(ports.length);
  });

  it.each(FUNCTIONS)('$name starts with the environment the local stack gives it', (fn) => {
    expect(fn.settings.schema.safeParse(LOCAL_ENV).success).toBe(true);
    expect(() => fn.settings.load(LOCAL_ENV)).not.toThrow();
  });

  it.each(FUNCTIONS)('$name reads only the variables of its settings schema', (fn) => {
    const schema = Object.keys(fn.settings.schema.shape);

    expect(namesRead(fn.settings.load).filter((name) => !schema.includes(name))).toEqual([]);
    expect(Object.values(fn.settings.env).sort()).toEqual([...schema].sort());
  });

  it.each(FUNCTIONS)('$name declares as needed every secret its settings read, and no other', (fn) => {
    const read = Object.keys(fn.settings.schema.shape).filter((name) => SECRETS.some((secret) => secret === name));

    expect([...fn.needs.secrets].sort()).toEqual(read.sort());
  });

  it.each(FUNCTIONS)('$name gets no longer than its trigger waits for it', (fn) => {
    if (fn.trigger.kind === 'pubsub') expect(fn.sizing.timeoutSeconds).toBeLessThanOrEqual(PUSH_ACK_DEADLINE_SECONDS);
    if (fn.trigger.kind === 'schedule') expect(fn.sizing.timeoutSeconds).toBeLessThanOrEqual(SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS);
    expect(fn.sizing.timeoutSeconds).toBeGreaterThan(0);
  });
});

describe('the local stack', () => {
  const ports = localPorts({});

  it('serves every function on its own port, and nothing else', () => {
    const { pubsub, firestore, ...functions } = ports;

    expect(Object.keys(functions).sort()).toEqual([...names].sort());
    expect([pubsub, firestore]).toEqual([LOCAL.emulatorPorts.pubsub, LOCAL.emulatorPorts.firestore]);
  });

  it("schedules every scheduled function, and only those, on its descriptor's interval", () => {
    const schedule = localSchedule(ports, scheduleMinutes({}));

    expect(schedule).toEqual(
      SCHEDULED.map((fn) => ({ job: fn.name, url: `http://127.0.0.1:${fn.localPort}/`, everyMs: fn.trigger.localEveryMinutes * 60_000 })),
    );
  });

  it('pushes each topic to the functions it triggers, through their subscriptions, with dead letters', () => {
    const plan = pubSubPlan(ports);
    const pushed = plan.flatMap(({ topic, subscriptions }) => subscriptions.filter((s) => s.pushEndpoint).map((s) => ({ topic, ...s })));

    expect(pushed).toEqual(
      PUSHED.map((fn) => ({
        topic: TOPICS[fn.trigger.topic],
        name: fn.trigger.subscription,
        pushEndpoint: `http://127.0.0.1:${fn.localPort}/projects/${LOCAL.projectId}/topics/${TOPICS[fn.trigger.topic]}`,
        deadLetterTopic: TOPICS.deadLetter,
        maxDeliveryAttempts: LOCAL.maxDeliveryAttempts,
      })),
    );
  });
});

describe('the Pulumi program', () => {
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
  });
  const entryPoints = () => ofType(resources, TYPES.function).map((fn) => String(objectAt(fn.inputs.buildConfig).entryPoint));

  it('deploys exactly one function per descriptor, with its name as entry point', () => {
    expect(entryPoints().sort()).toEqual([...names].sort());
  });

  it('gives every scheduled function a Cloud Scheduler job, and nothing else one', () => {
    expect(
      ofType(resources, TYPES.schedulerJob)
        .map((job) => job.name)
        .sort(),
    ).toEqual(SCHEDULED.map((fn) => resourceName(fn.name)).sort());
  });

  it('pushes to every function with a Pub/Sub trigger from its topic, through its own subscription', () => {
    for (const fn of PUSHED) {
      expect(named(resources, TYPES.subscription, fn.trigger.subscription).inputs.topic).toBe(TOPICS[fn.trigger.topic]);
    }
  });

  it.each(FUNCTIONS)('tells $name only variables of its settings schema (and Node its heap)', (fn) => {
    const deployed = named(resources, TYPES.function, resourceName(fn.name));
    const config = objectAt(deployed.inputs.serviceConfig);
    const secrets = Array.isArray(config.secretEnvironmentVariables) ? config.secretEnvironmentVariables : [];
    const told = [...Object.keys(objectAt(config.environmentVariables)), ...secrets.map((variable) => String(objectAt(variable).key))];
    const schema = Object.keys(fn.settings.schema.shape);

    expect(told.filter((name) => !schema.includes(name) && name !== 'NODE_OPTIONS')).toEqual([]);
  });
});
