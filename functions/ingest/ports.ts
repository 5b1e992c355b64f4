import type { CollectedEvent } from '../events/schema.ts';

export type ApplyOutcome = {
  /** Events learned from in this call. */
  applied: number;
  /** Events skipped because an earlier delivery already applied them. */
  alreadyApplied: number;
  /** Events dropped because the shopper's erasure was requested after they were received, and since consent was checked. */
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
 * The shopper's preference document and the idempotency marks in it. `apply` learns from
 * the events not applied before, atomically with recording that they now are: redelivery and
 * retries change nothing.
 */
export interface PreferenceStore {
  apply(userId: string, events: readonly CollectedEvent[], now: Date): Promise<ApplyOutcome>;
}
