import { trackEverything } from '../../functions/collect/consent.ts';
import type { CollectedEvent } from '../../functions/events/schema.ts';
import type { PreferenceStore } from '../../functions/ingest/ports.ts';
import type { ConsentPolicy } from '../../functions/kernel/ports.ts';

/**
 * A preference store in memory that behaves toward ingest as the Firestore one does: it decides consent (with `consent`,
 * as the transaction decides from what it read), lets the caller store the events, then learns from those it stored
 * and may learn from, recording them. `failWith` fails the learning after the storing, as a failed commit would.
 */
export function recordingPreferences(options: { consent?: ConsentPolicy<CollectedEvent>; failWith?: Error } = {}) {
  const learned: { userId: string; events: readonly CollectedEvent[] }[] = [];
  const preferences: PreferenceStore = {
    async apply(userId, events, _now, store) {
      const decisions = await (options.consent ?? trackEverything).decide(userId, events);
      const taken = store ? await store(decisions) : events.filter((_, i) => decisions[i]?.track === true);
      if (options.failWith) throw options.failWith;
      const mayLearn = new Set(events.filter((_, i) => decisions[i]?.track === true && decisions[i].learn));
      const toLearn = taken.filter((event) => mayLearn.has(event));
      if (toLearn.length) learned.push({ userId, events: toLearn });
      return { applied: toLearn.length, alreadyApplied: 0, writes: toLearn.length ? 1 : 0 };
    },
  };
  return { preferences, learned };
}
