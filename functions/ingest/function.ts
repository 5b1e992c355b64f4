import { z } from 'zod';
import { DeadlineEnv, IngestEnv, loadDeadlines, loadIngestSettings, loadUserHashKey, UserHashEnv } from '../config.ts';
import { cloudEventFunction, defineFunction, PUSH_ACK_DEADLINE_SECONDS } from '../descriptor.ts';
import { learn } from '../learn/learn.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded, firestoreStores, linkReader, shopperStores } from '../platform.ts';
import { createIngestConsent } from '../privacy/consent.ts';
import { createIngestHandler } from './handler.ts';

/** `ingest`: each accepted batch, pushed from the events topic, stored in the warehouse and learned from in Firestore. */
export const ingestFunction = defineFunction({
  name: 'ingest',
  summary: 'Stores each accepted batch of events in the warehouse and learns from it in Firestore.',
  trigger: { kind: 'pubsub', topic: 'events', subscription: 'events-ingest' },
  localPort: 8081,
  settings: {
    schema: z.object({ ...IngestEnv.shape, ...DeadlineEnv.shape, ...UserHashEnv.shape }),
    load: (env) => ({ ...loadIngestSettings(env), deadlines: loadDeadlines(env), userHashKey: loadUserHashKey(env) }),
  },
  // It hashes user ids to find an erased shopper's tombstone.
  needs: {
    warehouse: { via: 'streaming', reads: [], writes: ['events', 'order_items', 'rejected_events'] },
    firestore: 'write',
    secrets: ['USER_HASH_KEY'],
    publishes: {},
  },
  /**
   * Each message is one Firestore transaction plus streaming inserts: mostly waiting, so 20 at once share one
   * vCPU, and few enough that transactions stay short. 512Mi holds 20 batches and the Google clients.
   * 50 instances (1,000 messages in flight) cap the write rate a backlog can throw at Firestore and BigQuery.
   * 120 s is the push ack deadline: a longer run would be redelivered while it still runs.
   */
  sizing: { memory: '512Mi', cpu: '1', minInstances: 0, maxInstances: 50, concurrency: 20, timeoutSeconds: PUSH_ACK_DEADLINE_SECONDS },
  async create(settings, platform) {
    const { deadlines } = settings;
    const logger = createLogger({ minSeverity: settings.logLevel }).child({ function: 'ingest' });
    const warehouse = await platform.eventWarehouse(settings);
    // Reads within the Firestore deadline; the learning transaction may take longer (see LEARNING_DEADLINE_MS).
    const firestore = await platform.requestFirestore(settings.projectId, {
      callMs: deadlines.firestoreMs,
      transactionMs: deadlines.learningMs,
    });
    const { privacy, hashUser } = shopperStores(firestore, settings.userHashKey);
    const preferences = firestoreStores(firestore).learning({ learn, hashUser, markerTtlDays: settings.markerTtlDays });
    // A delivery that passes a deadline throws: Pub/Sub redelivers it after its backoff, and the idempotent writes
    // absorb whatever the abandoned calls still did.
    return cloudEventFunction(
      createIngestHandler({
        warehouse: bounded(warehouse, 'warehouse', deadlines.warehouseInsertMs, logger),
        preferences: bounded(preferences, 'preferences', deadlines.learningMs, logger),
        consent: createIngestConsent(
          bounded(privacy, 'privacy', deadlines.firestoreMs, logger),
          bounded(linkReader(firestore), 'links', deadlines.firestoreMs, logger),
        ),
        clock: platform.clock,
        logger,
      }),
    );
  },
});
