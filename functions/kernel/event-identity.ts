/**
 * What makes an event itself: its shopper and the id their client made. Clients make `event_id`, so it is
 * unique only among one shopper's events: every key, marker and deduplication takes the pair.
 */
export type EventIdentity = { readonly user_id: string; readonly event_id: string };

/** The pair as one string, for a Map or Set: JSON keeps two distinct pairs apart, whatever characters they hold. */
export function eventKey(event: EventIdentity): string {
  return JSON.stringify([event.user_id, event.event_id]);
}
