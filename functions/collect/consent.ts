import type { ConsentPolicy } from './ports.ts';

/** Until shoppers have privacy settings, everything a signed-in shopper sends may be tracked. */
export const trackEverything: ConsentPolicy = {
  decide: async (_userId, events) => events.map(() => ({ track: true as const })),
};
