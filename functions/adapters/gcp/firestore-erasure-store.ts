import { randomUUID } from 'node:crypto';
import { FieldValue, type DocumentData, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import type { ShopperDocuments } from '../../erasure/ports.ts';
import type { ErasureRequest, ErasureStore, PendingErasure } from '../../privacy/ports.ts';
import { DEFAULT_PRIVACY } from '../../privacy/settings.ts';
import type { UserHasher } from '../../privacy/user-hash.ts';
import { erasedBeforeOf, TOMBSTONE_PRIVACY_FIELD, TOMBSTONES_COLLECTION } from './firestore-privacy-store.ts';
import { linksOfShopper, shopperRefs } from './shopper-documents.ts';

/** `erasure_requests/{requestId}`: one per request; the user id is on it only while it is pending. */
export const ERASURE_REQUESTS_COLLECTION = 'erasure_requests';

/** A request id is a UUID: whatever else a caller asks for names no request and never reaches a path. */
export const ErasureRequestId = z.uuid();

export type ErasureStoreOptions = {
  hashUser: UserHasher;
  /** Default: a random UUID. Must make UUIDs. */
  newRequestId?: () => string;
};

/** `erasures/{userHash}`: until when the shopper's events are erased, and their settings (see the privacy store). */
type Tombstone = { erased_before: string; privacy?: Record<string, unknown> };

/**
 * Erasure requests and tombstones in Firestore, and the shopper's own documents they delete.
 *
 * What a shopper leaves in Firestore, and where it goes:
 * - `preferences/{id}` with the applied ids in it, and the earlier layout's `applied/*` markers under it:
 *   deleted by the request, and again by the erasure job (`deleteAll`), since a late ingest or a patterns
 *   run may have written it since;
 * - `privacy/{id}`: deleted by the request; the settings live on, without the id, in the tombstone
 *   (erasing must not switch tracking back on);
 * - `links/{visitor}` of each visitor linked to the shopper (and a visitor's own, when the visitor is
 *   erased): deleted by the request, with the visitor's preference and privacy documents; each such visitor gets a
 *   tombstone of their own, holding the shopper's settings, and their ids stay on the pending request
 *   (`linked_ids`) until the job has deleted their documents again.
 */
export function createFirestoreErasureStore(firestore: Firestore, options: ErasureStoreOptions): ErasureStore & ShopperDocuments {
  const newRequestId = options.newRequestId ?? randomUUID;
  const requests = firestore.collection(ERASURE_REQUESTS_COLLECTION);
  const tombstoneOf = (userId: string) => firestore.collection(TOMBSTONES_COLLECTION).doc(options.hashUser(userId));

  // A transaction cannot delete a subcollection; recursiveDelete pages through it (BulkWriter).
  const deleteAll = async (userId: string): Promise<void> => {
    await firestore.recursiveDelete(shopperRefs(firestore, userId).preferences);
  };

  return {
    async request(userId, by, now) {
      const erasure: ErasureRequest = {
        request_id: ErasureRequestId.parse(newRequestId()),
        user_hash: options.hashUser(userId),
        state: 'pending',
        requested_by: by,
        requested_at: now.toISOString(),
        completed_at: null,
        attempts: 0,
        rows_deleted: null,
        last_error: null,
      };
      const own = shopperRefs(firestore, userId);
      // Found before the transaction, whose query would lock more than the links it reads; each link is read again in
      // it, and one made meanwhile is still erased in the warehouse (the erase files read identity_links).
      const linked = (await linksOfShopper(firestore, userId).get()).docs.map((doc) => doc.ref);
      // One transaction: from the moment the request exists, the tombstones stop late events (ingest reads them),
      // and the shopper's documents and those of the visitors linked to them are gone.
      const linkedIds = await firestore.runTransaction(async (tx) => {
        const [privacy, earlier, ...links] = await tx.getAll(own.privacy, tombstoneOf(userId), ...linked);
        const visitors = links.flatMap((link) => {
          const anonymousId = link.get('anonymous_id') as unknown;
          return link.get('user_id') === userId && typeof anonymousId === 'string' ? [anonymousId] : [];
        });
        const visitorTombstones = visitors.length ? await tx.getAll(...visitors.map(tombstoneOf)) : [];
        const settings = privacy?.exists
          ? keptSettings(privacy.data())
          : (earlier?.get(TOMBSTONE_PRIVACY_FIELD) as Record<string, unknown> | undefined);
        tx.set(tombstoneOf(userId), tombstoneAt(now, earlier, settings));
        tx.create(requests.doc(erasure.request_id), { ...erasure, user_id: userId, linked_ids: visitors });
        tx.delete(own.privacy);
        tx.delete(own.preferences);
        // A visitor erased on their own leaves the shopper they were linked to, if any.
        tx.delete(own.link);
        for (const [i, visitor] of visitors.entries()) {
          const refs = shopperRefs(firestore, visitor);
          // The shopper's settings governed the visitor's data since the link, and go on governing what they send.
          tx.set(tombstoneOf(visitor), tombstoneAt(now, visitorTombstones[i], settings));
          tx.delete(refs.privacy);
          tx.delete(refs.preferences);
          tx.delete(refs.link);
        }
        return visitors;
      });
      // The applied-event markers under the preference documents. Should this fail, the request
      // stands and the erasure job deletes them (deleteAll) before it completes the request.
      for (const id of [userId, ...linkedIds]) await deleteAll(id);
      return erasure;
    },

    async get(requestId) {
      if (!ErasureRequestId.safeParse(requestId).success) return null;
      const snapshot = await requests.doc(requestId).get();
      return snapshot.exists ? publicRequest(snapshot.data()) : null;
    },

    async pending() {
      const snapshot = await requests.where('state', '==', 'pending').get();
      const pending = snapshot.docs.map((doc): PendingErasure => {
        const userId = doc.get('user_id') as unknown;
        // Only completion removes the id; a pending request without one cannot be worked on.
        if (typeof userId !== 'string' || userId === '') throw new Error(`erasure request ${doc.id} is pending but has no user id`);
        const linkedIds = doc.get('linked_ids') as unknown;
        return {
          ...publicRequest(doc.data()),
          user_id: userId,
          linked_ids: Array.isArray(linkedIds) ? linkedIds.filter((id) => typeof id === 'string') : [],
        };
      });
      // Oldest first; sorted here rather than by the query, which would need a composite index.
      return pending.sort((a, b) => a.requested_at.localeCompare(b.requested_at) || a.request_id.localeCompare(b.request_id));
    },

    async deferred(requestId, reason, now, rowsDeleted) {
      await requests.doc(requestId).update({
        attempts: FieldValue.increment(1),
        last_error: reason,
        last_attempt_at: now.toISOString(),
        ...(rowsDeleted ? { rows_deleted: rowsDeleted } : {}),
      });
    },

    async completed(requestId, rowsDeleted, now) {
      await requests.doc(requestId).update({
        state: 'completed',
        completed_at: now.toISOString(),
        last_attempt_at: now.toISOString(),
        rows_deleted: rowsDeleted,
        attempts: FieldValue.increment(1),
        last_error: null,
        // The request outlives the erasure as its receipt; the ids must not.
        user_id: FieldValue.delete(),
        linked_ids: FieldValue.delete(),
      });
    },

    async erasedBefore(userId) {
      return erasedBeforeOf(await tombstoneOf(userId).get());
    },

    deleteAll,
  };
}

/** A tombstone as of `now`: a later request moves the line forward, never back; the settings live on in it. */
function tombstoneAt(now: Date, earlier: DocumentSnapshot | undefined, settings: Record<string, unknown> | undefined): Tombstone {
  const earlierBefore = earlier?.get('erased_before') as unknown;
  const erasedBefore = typeof earlierBefore === 'string' && Date.parse(earlierBefore) > now.getTime() ? earlierBefore : now.toISOString();
  return { erased_before: erasedBefore, ...(settings ? { [TOMBSTONE_PRIVACY_FIELD]: settings } : {}) };
}

/** The request as whoever asked may see it: the fields of `ErasureRequest` and nothing else (no user id). */
function publicRequest(data: DocumentData | undefined): ErasureRequest {
  const d = data ?? {};
  return {
    request_id: String(d.request_id),
    user_hash: String(d.user_hash),
    state: d.state === 'completed' ? 'completed' : 'pending',
    requested_by: d.requested_by === 'operator' ? 'operator' : 'shopper',
    requested_at: String(d.requested_at),
    completed_at: typeof d.completed_at === 'string' ? d.completed_at : null,
    attempts: typeof d.attempts === 'number' ? d.attempts : 0,
    rows_deleted: isCounts(d.rows_deleted) ? d.rows_deleted : null,
    last_error: typeof d.last_error === 'string' ? d.last_error : null,
  };
}

function isCounts(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && Object.values(value).every((n) => typeof n === 'number');
}

/** The settings of a privacy document, field by field: whatever else a document might hold (an id) stays behind. */
function keptSettings(data: DocumentData | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of [...Object.keys(DEFAULT_PRIVACY), 'updated_at']) {
    if (data?.[key] !== undefined) kept[key] = data[key];
  }
  return kept;
}
