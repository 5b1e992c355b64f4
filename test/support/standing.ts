import type { ErasureStore, PrivacyStore, StandingReader } from '../../functions/privacy/ports.ts';

/** A shopper's standing from separate settings and tombstone reads, for tests whose stores are fakes. */
export function standingOf(store: Pick<PrivacyStore, 'read'>, erasures: Pick<ErasureStore, 'erasedBefore'>): StandingReader {
  return {
    async standing(settingsOf, erasuresOf) {
      const [settings, ...tombstones] = await Promise.all([store.read(settingsOf), ...erasuresOf.map((id) => erasures.erasedBefore(id))]);
      const latest = Math.max(...tombstones.map((erasedBefore) => erasedBefore?.getTime() ?? Number.NEGATIVE_INFINITY));
      return { settings, erasedBefore: Number.isFinite(latest) ? new Date(latest) : null };
    },
  };
}
