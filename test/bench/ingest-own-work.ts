import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@google-cloud/functions-framework';
import {
  encodeEventBatch,
  MESSAGE_SCHEMA_VERSION,
  type EventBatchMessage,
  type MessagePublishedData,
} from '../../functions/events/messages.ts';
import { ingestFunction } from '../../functions/ingest/function.ts';
import { freePort, startEmulator } from '../../functions/local/emulators.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { collectedEvent } from '../support/messages.ts';
import { platformWithoutWarehouse } from './discarding-warehouse.ts';
import { sessionEvent } from './shopping-session.ts';
import { stopScope } from './stop-scope.ts';

// `node test/bench/ingest-own-work.ts`: the CPU ingest's handler spends per message in one process, without the
// Functions Framework, the push or a warehouse: the production function (`ingestFunction.create`, its consent reads
// and its learning transaction) against the Firestore emulator, messages handled `--parallel` at a time as the
// emulator's push delivers them. What is left is the handler and the Firestore client. Options: --messages=N (per
// size, after as many again to warm up), --parallel=N (2), --sizes=1,100.

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const MESSAGES = Number(option('messages', '600'));
const PARALLEL = Number(option('parallel', '2'));
const SIZES = option('sizes', '1,100').split(',').map(Number);
const PROJECT = 'demo-bench';

const { start, stopAll } = stopScope((line) => process.stderr.write(`${line}\n`));
try {
  const emulator = await start(freePort().then((port) => startEmulator('firestore', { port, projectId: PROJECT })));
  Object.assign(process.env, {
    FIRESTORE_EMULATOR_HOST: emulator.host,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    METADATA_SERVER_DETECTION: 'none',
    USER_HASH_KEY: LOCAL.userHashKey,
    WAREHOUSE: 'duckdb:/dev/null',
    LOG_LEVEL: 'WARNING',
  });
  const registration = await ingestFunction.create(ingestFunction.settings.load(process.env), platformWithoutWarehouse());

  for (const size of SIZES) {
    const messages = (prefix: string): CloudEvent<MessagePublishedData>[] =>
      Array.from({ length: MESSAGES }, (_, m) => {
        const userId = `${prefix}-${String(m).padStart(5, '0')}`;
        const now = new Date();
        const events = Array.from({ length: size }, (_, j) => {
          const { type, data } = size === 1 ? sessionEvent(m, m) : sessionEvent(m, j);
          return collectedEvent(type, userId, now, { data });
        });
        const body: EventBatchMessage = {
          schema_version: MESSAGE_SCHEMA_VERSION,
          request_id: randomUUID(),
          user_id: userId,
          received_at: now.toISOString(),
          events,
        };
        const messageId = randomUUID();
        return {
          specversion: '1.0',
          id: messageId,
          source: `//pubsub.googleapis.com/projects/${PROJECT}/topics/events`,
          type: 'google.cloud.pubsub.topic.v1.messagePublished',
          data: { message: { data: encodeEventBatch(body).data.toString('base64'), messageId, attributes: {} } },
        };
      });
    const run = async (prefix: string) => {
      const queue = messages(prefix);
      const before = process.cpuUsage();
      const startedAt = performance.now();
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) await registration.handler(next);
        }),
      );
      const used = process.cpuUsage(before);
      return { cpuUs: (used.user + used.system) / MESSAGES, ms: performance.now() - startedAt };
    };
    await run(`warm${size}`);
    const { cpuUs, ms } = await run(`own${size}`);
    process.stdout.write(
      `${size} event${size > 1 ? 's' : ''}/message: ${cpuUs.toFixed(0)} µs of CPU per message, ${(cpuUs / size).toFixed(1)} µs per event ` +
        `(${MESSAGES} messages in ${(ms / 1000).toFixed(1)} s, ${PARALLEL} at a time)\n`,
    );
  }
} finally {
  await stopAll();
}
