import { z } from 'zod';
import {
  CollectEnv,
  DeadlineEnv,
  loadCollectSettings,
  loadDeadlines,
  loadPrivacyCacheMs,
  loadUserHashKey,
  PrivacyCacheEnv,
  UserHashEnv,
} from '../config.ts';
import { defineFunction, httpFunction } from '../descriptor.ts';
import { createJwtVerifier } from '../http/bearer-auth.ts';
import { createEventOwner } from '../identity/owner.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded, linkReader, requestDeadlines, shopperStores } from '../platform.ts';
import { createCollectConsent } from '../privacy/consent.ts';
import { createCollectHandler } from './handler.ts';

/** `collect`: the shop's pages and apps send shoppers' events here, with the shopper's token. */
export const collectFunction = defineFunction({
  name: 'collect',
  summary: "Takes shoppers' events over HTTPS, checks them, and publishes the accepted and the rejected to Pub/Sub.",
  trigger: { kind: 'http', callers: 'shoppers' },
  localPort: 8080,
  settings: {
    schema: z.object({ ...CollectEnv.shape, ...DeadlineEnv.shape, ...PrivacyCacheEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({
      ...loadCollectSettings(env),
      deadlines: loadDeadlines(env),
      privacyCacheMs: loadPrivacyCacheMs(env),
      userHashKey: loadUserHashKey(env),
    }),
  },
  // It reads each shopper's privacy settings (an erased shopper's tombstone by the hash of their id) and the shopper a
  // visitor was linked to, nothing more.
  needs: {
    firestore: 'read',
    secrets: ['TOKEN_KEY', 'USER_HASH_KEY'],
    publishes: { events: 'EVENTS_TOPIC', rejected: 'REJECTED_EVENTS_TOPIC' },
  },
  /**
   * Waits on Pub/Sub: 80 requests at once on one vCPU; 512Mi leaves room for that many 512 KiB bodies.
   * Scaling to zero keeps an idle shop free; `collectMinInstances 1` removes cold starts where that matters.
   */
  sizing: { memory: '512Mi', cpu: '1', minInstances: 0, maxInstances: 20, concurrency: 80, timeoutSeconds: 60 },
  async create(settings, platform) {
    const { deadlines } = settings;
    const logger = createLogger({ minSeverity: settings.logLevel, labels: { function: 'collect' } });
    const firestore = await platform.requestFirestore(settings.projectId, requestDeadlines(deadlines));
    const { privacy } = shopperStores(firestore, settings.userHashKey);
    const links = linkReader(firestore);
    const bus = platform.eventBus(settings.projectId, settings.topics, settings.publishBatching, { timeoutMs: deadlines.publishMs });
    return httpFunction(
      createCollectHandler({
        verifier: await createJwtVerifier(settings.token),
        owner: createEventOwner(bounded(links, 'links', deadlines.firestoreMs, logger), { cacheMs: settings.privacyCacheMs }),
        bus: {
          events: bounded(bus.events, 'events', deadlines.publishMs, logger),
          rejected: bounded(bus.rejected, 'rejected', deadlines.publishMs, logger),
        },
        consent: createCollectConsent(bounded(privacy, 'privacy', deadlines.firestoreMs, logger), { cacheMs: settings.privacyCacheMs }),
        clock: platform.clock,
        logger,
        timeLimits: settings.timeLimits,
        corsOrigins: settings.corsOrigins,
      }),
    );
  },
});
