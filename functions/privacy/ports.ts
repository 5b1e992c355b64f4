import type { PrivacySettings, StoredPrivacy } from './settings.ts';

/** `privacy/{userId}`: the shopper's settings. Read answers the defaults for a shopper who set nothing. */
export interface PrivacyStore {
  read(userId: string): Promise<StoredPrivacy>;
  /** Settings of many shoppers at once (batch jobs); the defaults for those who set nothing. */
  readMany(userIds: readonly string[]): Promise<Map<string, StoredPrivacy>>;
  /** Shoppers whose settings differ from the defaults in `field` (e.g. retention_days), with their settings. */
  nonDefault(field: 'retention_days'): Promise<Map<string, StoredPrivacy>>;
  /**
   * Stores the new settings. When `learn_preferences` turns off, what was learned (the preference
   * document) is deleted in the same transaction.
   */
  write(userId: string, settings: PrivacySettings, now: Date): Promise<StoredPrivacy>;
}

/** A shopper's settings and how far back their events are erased, as ingest reads them for every message. */
export type Standing = { settings: StoredPrivacy; erasedBefore: Date | null };

/**
 * What ingest's consent reads, in one batched read: the settings that govern a message and the tombstones of the
 * shoppers it belongs to (a linked visitor and their shopper).
 */
export interface StandingReader {
  /** The settings of `settingsOf` (from its tombstone once erased) and the latest `erased_before` of `erasuresOf`'s tombstones. */
  standing(settingsOf: string, erasuresOf: readonly string[]): Promise<Standing>;
}

export type ErasureState = 'pending' | 'completed';
export type Requester = 'shopper' | 'operator';

/** An erasure request as shown to whoever asked: no user id, only its keyed hash. */
export type ErasureRequest = {
  request_id: string;
  user_hash: string;
  state: ErasureState;
  requested_by: Requester;
  requested_at: string;
  completed_at: string | null;
  /** Erasure job runs that worked on it. */
  attempts: number;
  /**
   * Rows deleted per table: all of them once completed; while pending, those deleted so far (a request
   * whose rows were still in BigQuery's streaming buffer takes more than one run), null before any run.
   */
  rows_deleted: Record<string, number> | null;
  /** Why the last attempt did not complete it (e.g. rows still in BigQuery's streaming buffer). */
  last_error: string | null;
};

/**
 * A pending request with the user id the erasure job needs, and the visitors linked to that shopper when they asked
 * (whose documents go too); both are removed on completion.
 */
export type PendingErasure = ErasureRequest & { user_id: string; linked_ids: string[] };

/**
 * Erasure requests and tombstones. A tombstone, `erasures/{userHash}`, says that every event of the
 * shopper received before `erased_before` is gone and must stay gone; it outlives the request.
 */
export interface ErasureStore {
  /**
   * Records the request and its tombstone, and deletes the shopper's Firestore documents
   * (preferences with their applied-event markers, privacy settings — kept in the tombstone) at once.
   * The visitors linked to the shopper go with them: each gets a tombstone of their own (with the shopper's
   * settings), loses their documents and their link. A visitor erased on their own loses their link too.
   */
  request(userId: string, by: Requester, now: Date): Promise<ErasureRequest>;
  get(requestId: string): Promise<ErasureRequest | null>;
  /** Every pending request, with its user id: the erasure job works on them, the patterns job skips them. */
  pending(): Promise<PendingErasure[]>;
  /**
   * A run worked on it but could not finish: why, and the rows deleted so far (every run's, so that
   * the run completing it can report them all; left as they were when not given).
   */
  deferred(requestId: string, reason: string, now: Date, rowsDeleted?: Record<string, number>): Promise<void>;
  /** Every trace is gone: store the counts and drop the user id from the request. */
  completed(requestId: string, rowsDeleted: Record<string, number>, now: Date): Promise<void>;
  /** Until when the shopper's events are erased; null when never. */
  erasedBefore(userId: string): Promise<Date | null>;
}
