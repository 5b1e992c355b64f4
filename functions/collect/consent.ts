import type { ConsentPolicy } from '../kernel/ports.ts';

/** Tracks and learns from everything: for tests and benchmarks that are not about privacy settings. */
export const trackEverything: ConsentPolicy = {
  decide: (_userId, events) => events.map(() => ({ track: true as const, learn: true })),
};
