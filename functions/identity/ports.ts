import type { LinkReader } from '../kernel/ports.ts';

/** An anonymous visitor linked to the shopper they turned out to be, as stored and as the link route answers it. */
export type IdentityLink = { anonymous_id: string; user_id: string; linked_at: string };

/**
 * What linking answers: `linked` the first time (what was learned under the visitor's id is now the shopper's),
 * `already_linked` when the same link was made before (nothing changes; the stored link is answered again), and
 * `linked_elsewhere` when the visitor is another shopper's: a visitor becomes one shopper, once.
 */
export type LinkOutcome = { kind: 'linked' | 'already_linked'; link: IdentityLink } | { kind: 'linked_elsewhere' };

/** `links/{visitor}`: the links between visitors and shoppers, the one record every other store follows. */
export interface IdentityLinks extends LinkReader {
  /**
   * Links the visitor to the shopper, in one transaction with merging what was learned about the visitor into the
   * shopper's preference document (when the shopper lets learning run) and deleting the visitor's documents.
   */
  link(anonymousId: string, userId: string, now: Date): Promise<LinkOutcome>;
}
