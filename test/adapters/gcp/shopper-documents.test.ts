import { randomUUID } from 'node:crypto';
import { CollectionReference, type DocumentReference } from '@google-cloud/firestore';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createFirestoreErasureStore } from '../../../functions/adapters/gcp/firestore-erasure-store.ts';
import { createFirestoreIdentityLinks } from '../../../functions/adapters/gcp/firestore-identity-links.ts';
import { createFirestorePatternPublisher } from '../../../functions/adapters/gcp/firestore-pattern-publisher.ts';
import { createFirestorePreferenceReader } from '../../../functions/adapters/gcp/firestore-preference-reader.ts';
import { createFirestorePreferenceStore } from '../../../functions/adapters/gcp/firestore-preference-store.ts';
import { LEGACY_APPLIED_SHARDS } from '../../../functions/adapters/gcp/legacy-applied-markers.ts';
import { createFirestorePrivacyStore } from '../../../functions/adapters/gcp/firestore-privacy-store.ts';
import { shopperDocumentId, shopperIdOfDocument } from '../../../functions/kernel/shopper-id.ts';
import { learn } from '../../../functions/learn/learn.ts';
import { mergePreferences } from '../../../functions/learn/merge.ts';
import type { Patterns } from '../../../functions/patterns/patterns.ts';
import { DEFAULT_PRIVACY } from '../../../functions/privacy/settings.ts';
import { createUserHasher } from '../../../functions/privacy/user-hash.ts';
import { createFirestorePreferenceDocumentReader } from '../../../functions/adapters/gcp/firestore-preference-document.ts';
import { emulatorFirestore } from '../../support/firestore.ts';
import { NOW, VALID_DATA } from '../../support/fixtures.ts';
import { collectedEvent } from '../../support/messages.ts';
import { isValidDocumentId, subjects } from '../../support/subjects.ts';

// Invariant 6: whatever a subject holds, every document a store builds for it is its own: the
// shopper's documents under its document id, or documents keyed by a hash or a request's UUID.

// Subjects repeat across runs (`..`), and each run erases its subject: a project of its own.
const firestore = emulatorFirestore('demo-shopper-documents');
const hashUser = createUserHasher('test-user-hash-key-that-is-long-enough-0123');
const stores = {
  preferences: createFirestorePreferenceStore(firestore, { learn, hashUser }),
  privacy: createFirestorePrivacyStore(firestore, { hashUser }),
  erasures: createFirestoreErasureStore(firestore, { hashUser }),
  patterns: createFirestorePatternPublisher(firestore),
  documents: createFirestorePreferenceDocumentReader(firestore),
  learned: createFirestorePreferenceReader(firestore),
  links: createFirestoreIdentityLinks(firestore, { merge: mergePreferences }),
};
afterAll(() => firestore.terminate());

const PATTERNS: Patterns = {
  as_of: NOW.toISOString(),
  regular_items: [],
  brands: [],
  categories: [],
  price: null,
  schedule: null,
  dietary: [],
  bought_together: [],
};

/** Every shopper-keyed call of every store, for one subject, recording each document reference built. */
async function pathsBuiltFor(userId: string): Promise<string[]> {
  const built = vi.spyOn(CollectionReference.prototype, 'doc');
  try {
    const query = `oat milk ${randomUUID()}`;
    const events = [
      collectedEvent('search_performed', userId, NOW, { data: { ...VALID_DATA.search_performed, query } }),
      collectedEvent('search_result_clicked', userId, NOW, { data: { ...VALID_DATA.search_result_clicked, query } }),
    ];
    await stores.preferences.apply(userId, events, NOW);
    expect(await stores.links.shopperOf(userId)).toBeNull();
    await stores.patterns.publish([{ userId, patterns: PATTERNS }]);
    expect(await stores.documents.read(userId)).toMatchObject({ patterns: PATTERNS, learned: { user_id: userId, event_count: 2 } });
    expect(await stores.learned.read(userId)).toMatchObject({ user_id: userId });
    await stores.privacy.write(userId, { ...DEFAULT_PRIVACY, retention_days: 90 }, NOW);
    expect(await stores.privacy.read(userId)).toMatchObject({ retention_days: 90 });
    expect((await stores.privacy.readMany([userId])).get(userId)).toMatchObject({ retention_days: 90 });
    await stores.erasures.request(userId, 'shopper', NOW);
    expect(await stores.erasures.erasedBefore(userId)).toEqual(NOW);
    await stores.erasures.deleteAll(userId);
    return built.mock.results.map((result) => (result.value as DocumentReference).path);
  } finally {
    built.mockRestore();
  }
}

/** A path is the subject's own document, or one keyed by something that names nobody else. */
function ownerOf(path: string, userId: string): 'shopper' | 'tombstone' | 'request' {
  const segments = path.split('/');
  const [collection, id = '', sub, shard] = segments;
  if (collection === 'preferences' || collection === 'privacy' || collection === 'links') {
    expect(segments.length === 2 || (collection === 'preferences' && sub === 'applied' && segments.length === 4), path).toBe(true);
    if (shard !== undefined) expect(Number(shard)).toBeLessThan(LEGACY_APPLIED_SHARDS);
    expect(isValidDocumentId(id), path).toBe(true);
    expect(id).toBe(shopperDocumentId(userId));
    expect(shopperIdOfDocument(id)).toBe(userId);
    return 'shopper';
  }
  if (collection === 'erasures') {
    expect(segments).toEqual(['erasures', hashUser(userId)]);
    return 'tombstone';
  }
  expect(collection).toBe('erasure_requests');
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(segments).toHaveLength(2);
  return 'request';
}

describe('the documents a store builds for a shopper (emulator)', () => {
  const ownPaths = new Map<string, string[]>();
  const victim = randomUUID();

  it('are the subject’s own, under its document id, for any subject', async () => {
    await fc.assert(
      fc.asyncProperty(subjects, async (userId) => {
        fc.pre(!ownPaths.has(userId));
        const paths = await pathsBuiltFor(userId);
        const owners = paths.map((path) => ownerOf(path, userId));
        expect(new Set(owners)).toEqual(new Set(['shopper', 'tombstone', 'request']));
        ownPaths.set(userId, paths);
      }),
      { numRuns: 24, examples: [[victim], [`${victim}/applied/3`], ['..'], ['.'], ['__p__'], ['x/y'], ['x%2Fy']] },
    );
  });

  it('never give two subjects one document, nor one a document under another’s', () => {
    expect(ownPaths.size).toBeGreaterThanOrEqual(24);
    const owner = new Map<string, string>();
    for (const [userId, paths] of ownPaths) {
      for (const path of paths) {
        const other = owner.get(path);
        if (other !== undefined && other !== userId) expect.fail(`${JSON.stringify(userId)} and ${JSON.stringify(other)} share ${path}`);
        owner.set(path, userId);
      }
    }
    for (const [path, userId] of owner) {
      for (const [otherPath, other] of owner) {
        if (other !== userId && otherPath.startsWith(`${path}/`))
          expect.fail(`${otherPath} of ${JSON.stringify(other)} lies under ${path} of ${JSON.stringify(userId)}`);
      }
    }
  });
});
