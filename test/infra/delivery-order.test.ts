import { beforeAll, describe, expect, it } from 'vitest';
import { deployFunctionsAlone, named, runProgram, TYPES, type Registered } from './run-program.ts';

// A push that fails for want of a table, a database or a permission still counts as one of its five
// delivery attempts: nothing may be pushed before the whole path exists. What a subscription must wait
// for is made slow here; a subscription that did not wait would be created before it is.

/** Builds the functions on their own, with the resource `slow` names taking a while to create. */
async function deployWithSlow(slow: string): Promise<Registered[]> {
  return deployFunctionsAlone({ slow });
}

describe('order of creation of a push subscription', () => {
  it.each([
    ['events-ingest', 'storage', 'the storage its function writes to'],
    ['events-ingest', 'ingest-invokable-by-pubsub-push', 'the right of pubsub-push to invoke ingest'],
    ['events-ingest', 'pubsub-mints-push-tokens', 'the right of Pub/Sub to sign push tokens'],
    ['events-ingest', 'pubsub-publishes-dead-letters', 'the right of Pub/Sub to publish dead letters'],
    ['events-ingest', 'ingest-edits-events', "the function's right to insert events"],
    ['events-ingest', 'ingest-edits-order-items', "the function's right to insert ordered items"],
    ['events-ingest', 'ingest-reads-dataset-metadata', 'the dataset metadata a streaming insert reads'],
    ['events-ingest', 'ingest-uses-firestore', "the function's right to use Firestore"],
    ['events-ingest', 'ingest-reads-user-hash-key', "the function's right to read the hash key, without which it is not deployed"],
    ['rejected-events-store', 'storage', 'the storage its function writes to'],
    ['rejected-events-store', 'store-rejected-invokable-by-pubsub-push', 'the right of pubsub-push to invoke store-rejected'],
    ['rejected-events-store', 'store-rejected-edits-rejected-events', "the function's right to insert rows"],
  ])('creates %s only after %s exists (%s)', async (subscription, slow) => {
    const resources = await deployWithSlow(slow);
    const created = resources.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(resources, TYPES.subscription, subscription).started).toBeGreaterThan(created ?? Infinity);
  });
});

describe('order of creation of the ingest function', () => {
  it('deploys ingest only once its account may read the hash key: a revision that cannot read its secret is refused', async () => {
    const slow = 'ingest-reads-user-hash-key';
    const resources = await deployWithSlow(slow);
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
