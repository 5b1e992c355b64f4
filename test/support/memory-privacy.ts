import type { ErasureRequest, ErasureStore, PendingErasure, PrivacyStore, Requester } from '../../functions/privacy/ports.ts';
import { DEFAULT_PRIVACY, PrivacySettings, type StoredPrivacy } from '../../functions/privacy/settings.ts';
import { createUserHasher, type UserHasher } from '../../functions/privacy/user-hash.ts';

/** What learning wrote for a shopper (their preference document), as far as these stores are concerned. */
export type LearnedDocuments = { delete(userId: string): unknown };

const defaults = (): StoredPrivacy => ({ ...DEFAULT_PRIVACY, updated_at: null });

/**
 * `PrivacyStore` in memory, as its port documents it: the defaults for a shopper who set nothing,
 * settings validated on write, and the shopper's preference document (`learned`) deleted when
 * learn_preferences turns off.
 */
export function createMemoryPrivacyStore(learned: LearnedDocuments = new Map()): PrivacyStore & {
  /** The stored settings by shopper; tests may seed it. */
  settings: Map<string, StoredPrivacy>;
  /** Stores settings as of `now`: the defaults with `changes`. */
  set(userId: string, changes: Partial<PrivacySettings>, now?: Date): Promise<StoredPrivacy>;
} {
  const settings = new Map<string, StoredPrivacy>();
  const store = {
    settings,
    async read(userId: string) {
      return structuredClone(settings.get(userId) ?? defaults());
    },
    async readMany(userIds: readonly string[]) {
      return new Map(userIds.map((userId) => [userId, structuredClone(settings.get(userId) ?? defaults())]));
    },
    async nonDefault(field: 'retention_days') {
      return new Map(
        [...settings]
          .filter(([, stored]) => stored[field] !== DEFAULT_PRIVACY[field])
          .map(([userId, stored]) => [userId, structuredClone(stored)]),
      );
    },
    async write(userId: string, next: PrivacySettings, now: Date) {
      const valid = PrivacySettings.parse(next);
      const before = settings.get(userId) ?? defaults();
      if (before.learn_preferences && !valid.learn_preferences) learned.delete(userId);
      const stored: StoredPrivacy = { ...valid, updated_at: now.toISOString() };
      settings.set(userId, stored);
      return structuredClone(stored);
    },
    async set(userId: string, changes: Partial<PrivacySettings>, now = new Date(0)) {
      const { updated_at: _updatedAt, ...current } = settings.get(userId) ?? defaults();
      return store.write(userId, { ...current, ...changes }, now);
    },
  };
  return store;
}

type StoredRequest = ErasureRequest & { user_id: string | null };

/**
 * `ErasureStore` in memory, as its port documents it: a request records a tombstone and deletes the
 * shopper's documents (their preference document in `learned`, their settings in `privacy`) at once;
 * the user id is dropped from the request when it completes.
 */
export function createMemoryErasureStore(
  options: { privacy?: { settings: Map<string, StoredPrivacy> }; learned?: LearnedDocuments; hash?: UserHasher } = {},
): ErasureStore & { requests: Map<string, StoredRequest>; tombstones: Map<string, Date> } {
  const hash = options.hash ?? createUserHasher('memory-erasure-store-test-key-0123456789');
  const requests = new Map<string, StoredRequest>();
  const tombstones = new Map<string, Date>();
  let next = 0;
  const shown = ({ user_id: _userId, ...request }: StoredRequest): ErasureRequest => structuredClone(request);
  const must = (requestId: string): StoredRequest => {
    const request = requests.get(requestId);
    if (!request) throw new Error(`no erasure request ${requestId}`);
    return request;
  };
  return {
    requests,
    tombstones,
    async request(userId: string, by: Requester, now: Date) {
      const request: StoredRequest = {
        request_id: `erasure-${(next += 1)}`,
        user_hash: hash(userId),
        state: 'pending',
        requested_by: by,
        requested_at: now.toISOString(),
        completed_at: null,
        attempts: 0,
        rows_deleted: null,
        last_error: null,
        user_id: userId,
      };
      requests.set(request.request_id, request);
      tombstones.set(request.user_hash, now);
      options.learned?.delete(userId);
      options.privacy?.settings.delete(userId);
      return shown(request);
    },
    async get(requestId: string) {
      const request = requests.get(requestId);
      return request ? shown(request) : null;
    },
    async pending() {
      return [...requests.values()].flatMap((r): PendingErasure[] =>
        r.state === 'pending' && r.user_id !== null ? [{ ...shown(r), user_id: r.user_id, linked_ids: [] }] : [],
      );
    },
    async deferred(requestId: string, reason: string, _now: Date, rowsDeleted?: Record<string, number>) {
      const request = must(requestId);
      request.attempts += 1;
      request.last_error = reason;
      if (rowsDeleted) request.rows_deleted = { ...rowsDeleted };
    },
    async completed(requestId: string, rowsDeleted: Record<string, number>, now: Date) {
      const request = must(requestId);
      Object.assign(request, {
        state: 'completed',
        completed_at: now.toISOString(),
        attempts: request.attempts + 1,
        rows_deleted: { ...rowsDeleted },
        last_error: null,
        user_id: null,
      });
    },
    async erasedBefore(userId: string) {
      return tombstones.get(hash(userId)) ?? null;
    },
  };
}
