import type { CollectedEvent } from '../events/schema.ts';
import type { ConsentDecision } from '../kernel/ports.ts';

export type ApplyOutcome = {
  /** Events learned from in this call. */
  applied: number;
  /** Events skipped because an earlier delivery already applied them. */
  alreadyApplied: number;
  /** Events dropped because the shopper's erasure was requested after they were received. */
  erased?: number;
  /** Firestore documents written: the cost of learning, one per message whatever its size. */
  writes: number;
  /**
   * Ids of applied events dropped before their time to keep the shopper's document within its bound (a shopper
   * sending more than the document keeps within the marks' lifetime); absent when none were.
   */
  forgottenIds?: number;
};

/**
 * What ingest does with a message between learning's read and its commit: told the consent decision of each event
 * (in order), it stores the tracked ones in the warehouse and answers those it stored, which learning then takes. It
 * may run more than once for one message (a transaction retried after contention): it must be idempotent.
 */
export type StoreConsented = (decisions: readonly ConsentDecision[]) => Promise<readonly CollectedEvent[]>;

/**
 * The shopper's preference document and the idempotency marks in it. `apply` reads the shopper's privacy settings and
 * erasure tombstones with the document, decides consent from them (`decideIngestConsent`), hands the decisions to
 * `store`, and learns from the events it answers that were not applied before (marking them applied, learned or not
 * when the shopper switched learning off), atomically with that read: redelivery and retries change nothing, and a
 * privacy switch or an erasure lands wholly before the read or after the commit. Without `store`, every tracked event
 * is taken. A failure of `store` is passed on as it is.
 */
export interface PreferenceStore {
  apply(userId: string, events: readonly CollectedEvent[], now: Date, store?: StoreConsented): Promise<ApplyOutcome>;
}
