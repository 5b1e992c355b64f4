import type { CollectedEvent } from '../events/schema.ts';

export type ApplyOutcome = {
  /** Events learned from in this call. */
  applied: number;
  /** Events skipped because an earlier delivery already applied them. */
  alreadyApplied: number;
  /** Firestore documents written: the cost of learning, per message rather than per event. */
  writes: number;
};

/**
 * The shopper's preference document and the idempotency markers beside it. `apply` learns from
 * the events not applied before, atomically with recording that they now are: redelivery and
 * retries change nothing.
 */
export interface PreferenceStore {
  apply(userId: string, events: readonly CollectedEvent[], now: Date): Promise<ApplyOutcome>;
}
