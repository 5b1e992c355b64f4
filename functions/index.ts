import * as ff from '@google-cloud/functions-framework';
import { PubSub } from '@google-cloud/pubsub';
import { loadSettings } from './config.ts';
import { createPubSubEventBus } from './adapters/gcp/pubsub-event-bus.ts';
import { trackEverything } from './collect/consent.ts';
import { createCollectHandler } from './collect/handler.ts';
import { createJwtVerifier } from './collect/verify-token.ts';
import { createLogger } from './logging/logger.ts';

// The one place that reads the environment and builds Google clients; every function below is a
// thin shell over logic that takes these as arguments.
const settings = loadSettings(process.env);
const logger = createLogger({ minSeverity: settings.logLevel });
const pubsub = new PubSub({ projectId: settings.projectId });

ff.http(
  'collect',
  createCollectHandler({
    verifier: await createJwtVerifier(settings.token),
    bus: createPubSubEventBus(pubsub, settings.topics, settings.publishBatching),
    consent: trackEverything,
    clock: () => new Date(),
    logger: logger.child({ function: 'collect' }),
    timeLimits: settings.timeLimits,
    corsOrigins: settings.corsOrigins,
  }),
);
