import type { DocumentReference, DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import { shopperIdOfDocument } from '../../kernel/shopper-id.ts';
import type { PrivacyStore, StandingReader } from '../../privacy/ports.ts';
import { DEFAULT_PRIVACY, PrivacySettings, type StoredPrivacy } from '../../privacy/settings.ts';
import type { UserHasher } from '../../privacy/user-hash.ts';
import { APPLIED_IDS_FIELD } from './applied-ids.ts';
import { COLLECTIONS, shopperRefs } from './shopper-documents.ts';

/** `privacy/{shopperDocumentId(userId)}`: the settings plus `updated_at`. */
export const PRIVACY_COLLECTION = COLLECTIONS.privacy;
/** `erasures/{userHash}`: erasure tombstones; the erasure adapter owns them, this store only reads their `privacy`. */
export const TOMBSTONES_COLLECTION = 'erasures';
/** The field of a tombstone that keeps the erased shopper's settings (a full `PrivacySettings`). */
export const TOMBSTONE_PRIVACY_FIELD = 'privacy';

/** Firestore takes at most 500 documents per batched read; 300 keeps each response small. */
const GET_ALL_CHUNK = 300;
const PARALLEL_CHUNKS = 4;

export type PrivacyStoreOptions = { hashUser: UserHasher };

/**
 * The shoppers' privacy settings. A shopper who was erased has no `privacy` document any more, but
 * their settings live on in the tombstone: erasing what was learned must not switch tracking back on.
 */
export function createFirestorePrivacyStore(firestore: Firestore, options: PrivacyStoreOptions): PrivacyStore & StandingReader {
  const privacyDoc = (userId: string) => shopperRefs(firestore, userId).privacy;
  const tombstoneDoc = (userId: string) => firestore.collection(TOMBSTONES_COLLECTION).doc(options.hashUser(userId));

  return {
    async read(userId) {
      const stored = await privacyDoc(userId).get();
      if (stored.exists) return storedPrivacy(stored.data());
      return fromTombstone(await tombstoneDoc(userId).get());
    },

    // One BatchGetDocuments for the settings and every tombstone asked (the settings' own among them), where
    // `read` and a tombstone read apiece took three RPCs, two one after the other.
    async standing(settingsOf, erasuresOf) {
      const tombstoneIds = [...new Set([settingsOf, ...erasuresOf])];
      const [stored, ...tombstones] = await firestore.getAll(privacyDoc(settingsOf), ...tombstoneIds.map(tombstoneDoc));
      const tombstoneOf = (userId: string) => tombstones[tombstoneIds.indexOf(userId)];
      const erasedBefore = Math.max(
        ...erasuresOf.map((userId) => erasedBeforeOf(tombstoneOf(userId))?.getTime() ?? Number.NEGATIVE_INFINITY),
      );
      return {
        settings: stored?.exists ? storedPrivacy(stored.data()) : fromTombstone(tombstoneOf(settingsOf)),
        erasedBefore: Number.isFinite(erasedBefore) ? new Date(erasedBefore) : null,
      };
    },

    async readMany(userIds) {
      const ids = [...new Set(userIds)];
      const found = new Map<string, StoredPrivacy>();
      const stored = await getAllInChunks(firestore, ids.map(privacyDoc));
      const missing: string[] = [];
      for (const [i, snapshot] of stored.entries()) {
        const id = ids[i] as string;
        if (snapshot.exists) found.set(id, storedPrivacy(snapshot.data()));
        else missing.push(id);
      }
      const tombstones = await getAllInChunks(firestore, missing.map(tombstoneDoc));
      for (const [i, snapshot] of tombstones.entries()) found.set(missing[i] as string, fromTombstone(snapshot));
      // Answer in the order asked, for readers that print or page through them.
      return new Map(ids.map((id) => [id, found.get(id) ?? { ...DEFAULT_PRIVACY, updated_at: null }]));
    },

    nonDefault: (field) => readNonDefaultPrivacy(firestore, field),

    async write(userId, settings, now) {
      const stored: StoredPrivacy = { ...PrivacySettings.parse(settings), updated_at: now.toISOString() };
      const refs = shopperRefs(firestore, userId);
      await firestore.runTransaction(async (tx) => {
        const learned = stored.learn_preferences ? null : await tx.get(refs.preferences);
        tx.set(refs.privacy, stored);
        // What was learned goes with the switch. The applied ids stay: they are not about the shopper's
        // taste, and without them a redelivered old message would be learned again later.
        if (learned?.exists) {
          const applied: unknown = learned.get(APPLIED_IDS_FIELD);
          if (applied === undefined) tx.delete(refs.preferences);
          else tx.set(refs.preferences, { [APPLIED_IDS_FIELD]: applied });
        }
      });
      return stored;
    },
  };
}

/**
 * Settings as stored. A setting added after the document was written takes its default; a
 * document that breaks the schema throws rather than guessing what the shopper meant.
 */
/**
 * `PrivacyStore.nonDefault` on its own: it reads stored settings only, never a tombstone, so it needs no
 * hash key (the retention job has none). Keyed by user id, decoded from the document id; a document
 * stored under a raw id before ids were encoded names no shopper and is left out.
 */
export async function readNonDefaultPrivacy(firestore: Firestore, field: 'retention_days'): Promise<Map<string, StoredPrivacy>> {
  const snapshot = await firestore.collection(PRIVACY_COLLECTION).where(field, '!=', DEFAULT_PRIVACY[field]).get();
  const settings = new Map<string, StoredPrivacy>();
  for (const doc of snapshot.docs) {
    const userId = shopperIdOfDocument(doc.id);
    if (userId !== null) settings.set(userId, storedPrivacy(doc.data()));
  }
  return settings;
}

function storedPrivacy(data: Record<string, unknown> | undefined): StoredPrivacy {
  const merged: Record<string, unknown> = { ...DEFAULT_PRIVACY };
  for (const key of Object.keys(DEFAULT_PRIVACY)) if (data?.[key] !== undefined) merged[key] = data[key];
  const updatedAt = data?.updated_at;
  return { ...PrivacySettings.parse(merged), updated_at: typeof updatedAt === 'string' ? updatedAt : null };
}

/** Until when a tombstone says the shopper's events are erased; null without one. */
export function erasedBeforeOf(tombstone: DocumentSnapshot | undefined): Date | null {
  const value = tombstone?.get('erased_before') as unknown;
  return typeof value === 'string' ? new Date(value) : null;
}

function fromTombstone(tombstone: DocumentSnapshot | undefined): StoredPrivacy {
  const kept = tombstone?.get(TOMBSTONE_PRIVACY_FIELD) as Record<string, unknown> | undefined;
  return kept ? storedPrivacy(kept) : { ...DEFAULT_PRIVACY, updated_at: null };
}

async function getAllInChunks(firestore: Firestore, refs: DocumentReference[]): Promise<DocumentSnapshot[]> {
  const chunks: (typeof refs)[] = [];
  for (let i = 0; i < refs.length; i += GET_ALL_CHUNK) chunks.push(refs.slice(i, i + GET_ALL_CHUNK));
  const snapshots: DocumentSnapshot[] = [];
  // A few chunks at a time: a batch job may ask for every shopper, and getAll answers in the order asked.
  for (let i = 0; i < chunks.length; i += PARALLEL_CHUNKS) {
    const answers = await Promise.all(chunks.slice(i, i + PARALLEL_CHUNKS).map((chunk) => firestore.getAll(...chunk)));
    for (const answer of answers) snapshots.push(...answer);
  }
  return snapshots;
}
