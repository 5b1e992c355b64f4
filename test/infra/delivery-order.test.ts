import * as gcp from '@pulumi/gcp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SIZING } from '../../infra/config.ts';
import { IngestFunctions } from '../../infra/ingest-functions.ts';
import { named, PROJECT, runProgram, settled, startMocks, testArchive, testSecret, TYPES, type Registered } from './run-program.ts';

// A push that fails for want of a table, a database or a permission still counts as one of its five
// delivery attempts: nothing may be pushed before the whole path exists. What a subscription must wait
// for is made slow here; a subscription that did not wait would be created before it is.

/** Builds the ingest functions on their own, with the resources `slow` names taking a while to create. */
async function deployWithSlow(slow: string[]): Promise<Registered[]> {
  const registered = await startMocks({ preview: true, slow: (_type, name) => slow.includes(name) });
  const topic = (name: string) => new gcp.pubsub.Topic(name, { name, project: PROJECT });
  const storage = new gcp.bigquery.Table('storage', { project: PROJECT, datasetId: 'learning_loop', tableId: 'events' });
  new IngestFunctions('ingest', {
    project: PROJECT,
    region: 'europe-west1',
    ingest: { ...DEFAULT_SIZING.ingest, markerTtlDays: 8, clickThroughShards: 10 },
    storeRejected: DEFAULT_SIZING.storeRejected,
    source: testArchive(),
    topics: { events: topic('events'), rejectedEvents: topic('rejected-events'), deadLetter: topic('events-dead-letter') },
    retention: '604800s',
    dataset: new gcp.bigquery.Dataset('dataset', { project: PROJECT, datasetId: 'learning_loop' }),
    storage: [storage],
    hashKey: testSecret('USER_HASH_KEY', 'user-hash-key'),
  });
  await settled();
  return registered;
}

describe('order of creation of a push subscription', () => {
  it.each([
    ['events-ingest', 'storage', 'the storage its function writes to'],
    ['events-ingest', 'ingest-invokable-by-pubsub-push', 'the right of pubsub-push to invoke ingest'],
    ['events-ingest', 'pubsub-mints-push-tokens', 'the right of Pub/Sub to sign push tokens'],
    ['events-ingest', 'pubsub-publishes-dead-letters', 'the right of Pub/Sub to publish dead letters'],
    ['events-ingest', 'ingest-edits-events', 'the function\'s right to insert events'],
    ['events-ingest', 'ingest-edits-order-items', 'the function\'s right to insert ordered items'],
    ['events-ingest', 'ingest-reads-dataset-metadata', 'the dataset metadata a streaming insert reads'],
    ['events-ingest', 'ingest-uses-firestore', 'the function\'s right to use Firestore'],
    ['events-ingest', 'ingest-reads-user-hash-key', 'the function\'s right to read the hash key, without which it is not deployed'],
    ['rejected-events-store', 'storage', 'the storage its function writes to'],
    ['rejected-events-store', 'store-rejected-invokable-by-pubsub-push', 'the right of pubsub-push to invoke store-rejected'],
    ['rejected-events-store', 'store-rejected-edits-rejected-events', 'the function\'s right to insert rows'],
  ])('creates %s only after %s exists (%s)', async (subscription, slow) => {
    const resources = await deployWithSlow([slow]);
    const created = resources.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(resources, TYPES.subscription, subscription).started).toBeGreaterThan(created ?? Infinity);
  });
});

describe('order of creation of the ingest function', () => {
  it('deploys ingest only once its account may read the hash key: a revision that cannot read its secret is refused', async () => {
    const slow = 'ingest-reads-user-hash-key';
    const resources = await deployWithSlow([slow]);
    const created = resources.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(resources, TYPES.function, 'ingest').started).toBeGreaterThan(created ?? Infinity);
  });
});

describe('order of creation in the program', () => {
  const STORAGE = [TYPES.dataset, TYPES.table, TYPES.firestoreDatabase, TYPES.firestoreField];
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram({}, (type) => STORAGE.some((t) => t === type));
  });

  it.each(['events-ingest', 'rejected-events-store'])('creates %s after every BigQuery and Firestore resource', (subscription) => {
    const started = named(resources, TYPES.subscription, subscription).started;
    const storage = resources.filter((r) => STORAGE.some((type) => type === r.type));

    expect(storage.length).toBeGreaterThan(0);
    for (const resource of storage) expect(resource.created, `${resource.type} ${resource.name}`).toBeLessThan(started);
  });
});
