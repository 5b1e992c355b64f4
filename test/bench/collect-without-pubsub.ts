import * as ff from '@google-cloud/functions-framework';
import { trackEverything } from '../../functions/collect/consent.ts';
import { createCollectHandler } from '../../functions/collect/handler.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { loadCollectSettings } from '../../functions/config.ts';
import { createLogger } from '../../functions/logging/logger.ts';

// collect with a publisher that only serializes: isolates our own cost from the Pub/Sub client's.
const settings = loadCollectSettings(process.env);
const discard = { publish: async () => 'discarded' };
ff.http(
  'collect',
  createCollectHandler({
    verifier: await createJwtVerifier(settings.token),
    owner: createEventOwner({ shopperOf: async () => null }),
    bus: { events: discard, rejected: discard },
    consent: trackEverything,
    clock: () => new Date(),
    logger: createLogger({ minSeverity: 'ERROR' }),
    timeLimits: settings.timeLimits,
    corsOrigins: settings.corsOrigins,
  }),
);
