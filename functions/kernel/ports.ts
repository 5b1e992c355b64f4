/**
 * The ports more than one room uses: time, who a shopper is, and what they let be tracked.
 * A port only one feature uses stays in that feature's `ports.ts`.
 */

export type Clock = () => Date;

/**
 * What a port with a cache answers: the value itself when it already knows it, else a promise. On collect's hot path
 * every promise costs a few µs inside the Functions Framework's per-request domain (test/bench/RESULTS.md), so a
 * caller that can use the value at once skips the wait; one that awaits it gets the same either way.
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Who a token names. A `shopper` is logged in; an `anonymous` visitor is not yet, and their user id is in its own
 * namespace (`anonymous:<sub>`, functions/kernel/shopper-id.ts), so that it never equals a shopper's.
 */
export type Identity = { userId: string; kind: 'shopper' | 'anonymous' };
export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; reason: string };

/** Checks the shopper's bearer token; the user id is taken from it, never from the body. */
export interface TokenVerifier {
  verify(token: string): MaybePromise<AuthOutcome>;
}

/** Which shopper an anonymous visitor was linked to on login (`links/{visitor}`): what collect and ingest read. */
export interface LinkReader {
  /** The shopper the visitor was linked to; null when none. */
  shopperOf(anonymousId: string): Promise<string | null>;
}

/** Whether an event may be kept and, if so, learned from (`learn`: ingest heeds it; collect only publishes). */
export type ConsentDecision = { track: true; learn: boolean } | { track: false; reason: string };

/**
 * Decides per event whether the shopper lets it be tracked. Answers one decision per event,
 * in order. `collect` asks about client events; `ingest` about collected ones (with `received_at`),
 * see `functions/privacy/consent.ts`.
 */
export interface ConsentPolicy<E extends { readonly type: string } = { readonly type: string }> {
  decide(userId: string, events: readonly E[]): MaybePromise<ConsentDecision[]>;
}
