import { describe, expect, it } from 'vitest';
import { replayDeadLetters, type DeadLetter, type DeadLetterQueue, type ReplayTopic } from '../../functions/ingest/dead-letters.ts';
import { describeReplay, parseReplayArgs } from '../../functions/local/replay.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';

/** A dead-letter subscription in memory, as the port describes one: a pulled message is held until acknowledged or released. */
function memoryQueue(messages: DeadLetter[]) {
  const waiting = [...messages];
  const held = new Map<string, DeadLetter>();
  const acknowledged: string[] = [];
  const queue: DeadLetterQueue = {
    pull: async (max) => {
      const batch = waiting.splice(0, max);
      for (const m of batch) held.set(m.ackId, m);
      return batch;
    },
    acknowledge: async (ackIds) => {
      for (const id of ackIds) {
        held.delete(id);
        acknowledged.push(id);
      }
    },
    release: async (ackIds) => {
      for (const id of ackIds) {
        const m = held.get(id);
        if (!m) continue;
        held.delete(id);
        waiting.push(m);
      }
    },
  };
  return { queue, waiting, acknowledged };
}

const letter = (n: number, kind: string): DeadLetter => ({
  messageId: `m-${n}`,
  ackId: `a-${n}`,
  data: Buffer.from(`{"n":${n}}`),
  attributes: {
    kind,
    request_id: `r-${n}`,
    CloudPubSubDeadLetterSourceDeliveryCount: '5',
    CloudPubSubDeadLetterSourceSubscription: 'events-ingest',
  },
});

describe('replaying dead letters', () => {
  it('sends each back to its kind’s topic without the dead-letter attributes, and keeps what no topic takes', async () => {
    const { queue, waiting, acknowledged } = memoryQueue([letter(1, 'events'), letter(2, 'rejected_events'), letter(3, 'something else')]);
    const published: { topic: ReplayTopic; attributes: Record<string, string> }[] = [];
    const outcome = await replayDeadLetters(
      {
        queue,
        republisher: { publish: async (topic, m) => void published.push({ topic, attributes: m.attributes }) },
        logger: createMemoryLogger(),
      },
      { limit: 10, dryRun: false },
    );
    expect(outcome).toEqual({ dry_run: false, pulled: 3, republished: { events: 1, rejected: 1 }, acknowledged: 2, kept: 1 });
    expect(published).toEqual([
      { topic: 'events', attributes: { kind: 'events', request_id: 'r-1' } },
      { topic: 'rejected', attributes: { kind: 'rejected_events', request_id: 'r-2' } },
    ]);
    expect(acknowledged).toEqual(['a-1', 'a-2']);
    expect(waiting.map((m) => m.messageId)).toEqual(['m-3']);
  });

  it('stops at --limit, leaving the rest', async () => {
    const { queue, waiting } = memoryQueue([1, 2, 3].map((n) => letter(n, 'events')));
    expect(
      await replayDeadLetters(
        { queue, republisher: { publish: async () => undefined }, logger: createMemoryLogger() },
        { limit: 2, dryRun: false },
      ),
    ).toMatchObject({ pulled: 2, acknowledged: 2 });
    expect(waiting.map((m) => m.messageId)).toEqual(['m-3']);
  });

  it('acknowledges nothing it could not re-publish: the message goes back and the replay stops', async () => {
    const { queue, waiting, acknowledged } = memoryQueue([letter(1, 'events'), letter(2, 'events')]);
    const failing = { publish: async () => Promise.reject(new Error('Pub/Sub is unavailable')) };
    await expect(
      replayDeadLetters({ queue, republisher: failing, logger: createMemoryLogger() }, { limit: 10, dryRun: false }),
    ).rejects.toThrow('Pub/Sub is unavailable');
    expect(acknowledged).toEqual([]);
    expect(waiting.map((m) => m.messageId).sort()).toEqual(['m-1', 'm-2']);
  });

  it('in a dry run counts and gives everything back', async () => {
    const { queue, waiting } = memoryQueue([letter(1, 'events'), letter(2, 'events')]);
    const outcome = await replayDeadLetters(
      { queue, republisher: { publish: async () => Promise.reject(new Error('not in a dry run')) }, logger: createMemoryLogger() },
      { limit: 10, dryRun: true },
    );
    expect(outcome).toEqual({ dry_run: true, pulled: 2, republished: { events: 2, rejected: 0 }, acknowledged: 0, kept: 0 });
    expect(waiting).toHaveLength(2);
    expect(describeReplay(outcome)).toBe(
      'dry run: 2 dead letters\n  would re-publish 2 to events, 0 to rejected-events\n  acknowledged 0\n  kept 0 (no topic takes their kind; still on the subscription)',
    );
  });

  it('takes its arguments as the CLI documents them', () => {
    expect(parseReplayArgs(['dead-letters'])).toEqual({ limit: 1000, dryRun: false });
    expect(parseReplayArgs(['dead-letters', '--limit', '5', '--dry-run', '--project', 'shop'])).toEqual({
      limit: 5,
      dryRun: true,
      project: 'shop',
    });
    expect(() => parseReplayArgs([])).toThrow(/^usage: npm run replay -- dead-letters/);
    expect(() => parseReplayArgs(['dead-letters', '--limit', '0'])).toThrow(/--limit must be a whole number/);
  });
});
