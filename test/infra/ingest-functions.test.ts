import { beforeAll, describe, expect, it } from 'vitest';
import { named, objectAt, ofType, PROJECT, runProgram, serviceUrl, TYPES, type Registered } from './run-program.ts';

const PUSH_ACCOUNT = `pubsub-push@${PROJECT}.iam.gserviceaccount.com`;

/** Each pushed function, its entry point, account, and the subscription that feeds it from which topic. */
const PUSHED = [
  { name: 'ingest', entryPoint: 'ingest', account: 'ingest-fn', subscription: 'events-ingest', topic: 'events' },
  {
    name: 'store-rejected',
    entryPoint: 'storeRejected',
    account: 'store-rejected-fn',
    subscription: 'rejected-events-store',
    topic: 'rejected-events',
  },
] as const;

// The program runs once per file: a module is imported only once.
let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram();
});

describe('ingest and store-rejected functions', () => {
  const fn = (name: string) => named(resources, TYPES.function, name);
  const serviceConfig = (name: string) => objectAt(fn(name).inputs.serviceConfig);

  it.each(PUSHED)('builds $name as a Node 22 function from the same archive and build as collect', ({ name, entryPoint }) => {
    const collect = objectAt(fn('collect').inputs.buildConfig);

    expect(fn(name).inputs).toMatchObject({ name, project: PROJECT, location: 'europe-west1' });
    expect(fn(name).inputs.buildConfig).toEqual({ ...collect, entryPoint });
    expect(collect).toMatchObject({ runtime: 'nodejs22', environmentVariables: { GOOGLE_NODE_RUN_SCRIPTS: '' } });
  });

  it.each(PUSHED)('runs $name as its own account $account', ({ name, account }) => {
    expect(serviceConfig(name).serviceAccountEmail).toBe(`${account}@${PROJECT}.iam.gserviceaccount.com`);
    expect(named(resources, TYPES.account, account).inputs).toMatchObject({ accountId: account, project: PROJECT });
  });

  it('gives ingest USER_HASH_KEY, from the latest version of user-hash-key, and no other secret', () => {
    expect(serviceConfig('ingest').secretEnvironmentVariables).toEqual([
      { key: 'USER_HASH_KEY', projectId: PROJECT, secret: 'user-hash-key', version: 'latest' },
    ]);
  });

  it('gives store-rejected no secret: it hashes no user id', () => {
    expect(serviceConfig('store-rejected').secretEnvironmentVariables).toBeUndefined();
  });

  it.each(PUSHED)('gives $name no secret volume, and no secret-looking plain variable', ({ name }) => {
    expect(serviceConfig(name).secretVolumes).toBeUndefined();
    for (const variable of Object.keys(objectAt(serviceConfig(name).environmentVariables))) {
      expect(variable).not.toMatch(/KEY|SECRET|PASSWORD|CREDENTIAL|TOKEN/i);
    }
  });

  it('tells ingest its warehouse, dataset, project and learning settings', () => {
    const dataset = named(resources, TYPES.dataset, 'dataset');

    expect(serviceConfig('ingest').environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: dataset.inputs.datasetId,
      MARKER_TTL_DAYS: '8',
    });
  });

  it('tells store-rejected only its warehouse, dataset and project', () => {
    expect(serviceConfig('store-rejected').environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
    });
  });

  it.each([
    [
      'ingest',
      { availableMemory: '512Mi', availableCpu: '1', maxInstanceRequestConcurrency: 20, maxInstanceCount: 50, timeoutSeconds: 120 },
    ],
    [
      'store-rejected',
      { availableMemory: '256Mi', availableCpu: '1', maxInstanceRequestConcurrency: 20, maxInstanceCount: 5, timeoutSeconds: 60 },
    ],
  ])('sizes %s by the documented defaults, scaling to zero', (name, sizing) => {
    expect(serviceConfig(name)).toMatchObject({ ...sizing, minInstanceCount: 0, ingressSettings: 'ALLOW_ALL' });
  });

  it('gets every message through push subscriptions of its own, not Eventarc triggers', () => {
    for (const f of ofType(resources, TYPES.function)) expect(f.inputs.eventTrigger).toBeUndefined();
    expect(resources.filter((r) => r.type.startsWith('gcp:eventarc/'))).toEqual([]);
  });
});

describe('push delivery', () => {
  it.each(PUSHED)('pushes $topic to $name with an OIDC token of pubsub-push for its service URL', ({ name, subscription, topic }) => {
    const sub = named(resources, TYPES.subscription, subscription);

    expect(sub.inputs).toMatchObject({ name: subscription, project: PROJECT, topic });
    expect(sub.inputs.pushConfig).toEqual({
      // The path names the topic for the Functions Framework's CloudEvent; the audience is the bare URL.
      pushEndpoint: `${serviceUrl(name)}/projects/${PROJECT}/topics/${topic}`,
      oidcToken: { serviceAccountEmail: PUSH_ACCOUNT, audience: serviceUrl(name) },
    });
  });

  it.each(PUSHED)('retries $subscription with backoff and dead-letters it after 5 attempts', ({ subscription }) => {
    const sub = named(resources, TYPES.subscription, subscription);

    expect(sub.inputs).toMatchObject({
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopic: `projects/${PROJECT}/topics/events-dead-letter`, maxDeliveryAttempts: 5 },
      messageRetentionDuration: '604800s',
      expirationPolicy: { ttl: '' },
    });
  });

  it.each(PUSHED)('waits for $name longer than it may run, so a message is not redelivered while it runs', ({ name, subscription }) => {
    const sub = named(resources, TYPES.subscription, subscription);
    const timeout = Number(objectAt(named(resources, TYPES.function, name).inputs.serviceConfig).timeoutSeconds);

    expect(sub.inputs.ackDeadlineSeconds).toBe(120);
    expect(timeout).toBeLessThanOrEqual(120);
  });
});
