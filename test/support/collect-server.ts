import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createCollectHandler, type CollectDeps } from '../../functions/collect/handler.ts';
import { trackEverything } from '../../functions/collect/consent.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';
import { registerHttpFunction } from '../../functions/http/register.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { createRecordingBus } from './memory-bus.ts';
import { NOW, TEST_TOKEN } from './fixtures.ts';

let registered = 0;

/** `collect` with recording fakes, served by the Functions Framework as in production. */
export async function collectUnderTest(overrides: Partial<CollectDeps> = {}) {
  const bus = createRecordingBus();
  const logger = createMemoryLogger();
  const deps: CollectDeps = {
    verifier: await createJwtVerifier({ ...TEST_TOKEN, clockToleranceSec: 30 }),
    // Nobody linked: a visitor's events are their own.
    owner: createEventOwner({ shopperOf: async () => null }, { cacheMs: 0 }),
    bus,
    consent: trackEverything,
    clock: () => NOW,
    logger,
    timeLimits: DEFAULT_TIME_LIMITS,
    corsOrigins: '*',
    ...overrides,
  };
  const name = `collect-under-test-${++registered}`;
  registerHttpFunction(name, createCollectHandler(deps), { logger });
  const server: Server = getTestServer(name);
  return { server, bus, logger, deps };
}

export function tokenFor(userId: string, options: { ttlSec?: number } = {}): Promise<string> {
  return mintShopperToken(userId, { ...TEST_TOKEN, ...options });
}
