import { parseArgs } from 'node:util';
import { createLogger } from '../logging/logger.ts';
import { replayDeadLetters, type ReplayOutcome } from '../ingest/dead-letters.ts';
import { localPorts } from './local-functions.ts';
import { LOCAL } from './local-settings.ts';

// `npm run replay -- dead-letters [--limit N] [--dry-run] [--project ID]`: after a fix, sends the messages ingest
// gave up on back to their topics, from the dead-letter subscription (`events-dead-letter-keep`), acknowledging each
// once it is re-published, and prints the counts. Locally (`npm start` running) on the Pub/Sub emulator; with
// `--project`, on the deployed project with the operator's application default credentials.

export type ReplayCommand = { limit: number; dryRun: boolean; project?: string };

const USAGE = 'usage: npm run replay -- dead-letters [--limit N] [--dry-run] [--project ID]';
/** Dead letters replayed by default: enough for an outage's backlog, few enough to watch. */
export const DEFAULT_REPLAY_LIMIT = 1_000;

export function parseReplayArgs(args: string[]): ReplayCommand {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: String(DEFAULT_REPLAY_LIMIT) },
      'dry-run': { type: 'boolean', default: false },
      project: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || positionals[0] !== 'dead-letters') throw new Error(USAGE);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a whole number ≥ 1\n${USAGE}`);
  return { limit, dryRun: values['dry-run'], ...(values.project ? { project: values.project } : {}) };
}

export function describeReplay(outcome: ReplayOutcome): string {
  const verb = outcome.dry_run ? 'would re-publish' : 're-published';
  return [
    `${outcome.dry_run ? 'dry run: ' : ''}${outcome.pulled} dead letters`,
    `  ${verb} ${outcome.republished.events} to events, ${outcome.republished.rejected} to rejected-events`,
    `  acknowledged ${outcome.acknowledged}`,
    `  kept ${outcome.kept} (no topic takes their kind; still on the subscription)`,
  ].join('\n');
}

if (import.meta.main) {
  try {
    const command = parseReplayArgs(process.argv.slice(2));
    if (!command.project) {
      process.env.PUBSUB_EMULATOR_HOST = `127.0.0.1:${localPorts(process.env).pubsub}`;
      process.env.METADATA_SERVER_DETECTION ??= 'none';
    }
    const { PubSub } = await import('@google-cloud/pubsub');
    const { createPubSubDeadLetterQueue, createPubSubRepublisher } = await import('../adapters/gcp/pubsub-dead-letters.ts');
    const pubsub = new PubSub({ projectId: command.project ?? LOCAL.projectId });
    const queue = await createPubSubDeadLetterQueue(pubsub, LOCAL.subscriptions.deadLetters);
    try {
      const outcome = await replayDeadLetters(
        {
          queue,
          republisher: createPubSubRepublisher(pubsub, { events: LOCAL.topics.events, rejected: LOCAL.topics.rejected }),
          logger: createLogger({ labels: { component: 'replay' }, sink: (line) => process.stderr.write(`${line}\n`) }),
        },
        { limit: command.limit, dryRun: command.dryRun },
      );
      process.stdout.write(`${describeReplay(outcome)}\n`);
    } finally {
      await queue.close();
      await pubsub.close();
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
