import { z } from 'zod';
import { DeadlineEnv, loadDeadlines, loadWarehouseSettings, WarehouseEnv } from '../config.ts';
import { cloudEventFunction, defineFunction } from '../descriptor.ts';
import { createLogger } from '../logging/logger.ts';
import { bounded } from '../platform.ts';
import { createStoreRejectedHandler } from './handler.ts';

/** `storeRejected`: each batch of rejected events, pushed from the rejected-events topic, kept in `rejected_events`. */
export const storeRejectedFunction = defineFunction({
  name: 'storeRejected',
  summary: 'Keeps each batch of rejected events, with its reasons, in the warehouse.',
  trigger: { kind: 'pubsub', topic: 'rejected', subscription: 'rejected-events-store' },
  localPort: 8082,
  settings: {
    schema: z.object({ ...WarehouseEnv.shape, ...DeadlineEnv.shape }),
    load: (env) => ({ ...loadWarehouseSettings(env), deadlines: loadDeadlines(env) }),
  },
  // Rejected input is stored as it came, by no hashed id: no Firestore, no secret.
  needs: { warehouse: { via: 'streaming', reads: [], writes: ['rejected_events'] }, firestore: 'none', secrets: [], publishes: {} },
  /**
   * One streaming insert per message, and rejected input is rare, so 256Mi and at most 5 instances. Concurrency 20
   * on one vCPU rather than 1 on half a vCPU: a burst of rejects (a broken client release) would otherwise meet
   * 5 busy instances and get 429s, which Pub/Sub counts as failed deliveries and dead-letters after 5; the
   * instance mostly waits on BigQuery, and a vCPU is billed only while it serves.
   */
  sizing: { memory: '256Mi', cpu: '1', minInstances: 0, maxInstances: 5, concurrency: 20, timeoutSeconds: 60 },
  async create(settings, platform) {
    const logger = createLogger({ minSeverity: settings.logLevel }).child({ function: 'storeRejected' });
    const warehouse = await platform.eventWarehouse(settings);
    return cloudEventFunction(
      createStoreRejectedHandler({
        warehouse: bounded(warehouse, 'warehouse', settings.deadlines.warehouseInsertMs, logger),
        clock: platform.clock,
        logger,
      }),
    );
  },
});
