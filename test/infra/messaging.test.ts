import { beforeAll, describe, expect, it } from 'vitest';
import { named, ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

const SEVEN_DAYS = '604800s';

describe('messaging', () => {
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
  });

  it('declares the events, rejected-events and dead-letter topics, each retaining messages', () => {
    const topics = ofType(resources, TYPES.topic);

    expect(topics.map((t) => t.inputs.name).sort()).toEqual(['events', 'events-dead-letter', 'rejected-events']);
    for (const topic of topics) expect(topic.inputs).toMatchObject({ project: PROJECT, messageRetentionDuration: SEVEN_DAYS });
  });

  it('keeps every dead letter in a pull subscription that never expires', () => {
    const keep = named(resources, TYPES.subscription, 'events-dead-letter-keep');

    expect(keep.inputs).toMatchObject({
      name: 'events-dead-letter-keep',
      topic: 'events-dead-letter',
      messageRetentionDuration: SEVEN_DAYS,
      retainAckedMessages: true,
      expirationPolicy: { ttl: '' },
    });
    expect(keep.inputs.pushConfig).toBeUndefined();
  });

  it('gives every topic exactly one subscription, so that no message is dropped and none is consumed twice', () => {
    const subscriptions = ofType(resources, TYPES.subscription).map((s) => `${String(s.inputs.topic)} → ${String(s.inputs.name)}`);

    expect(subscriptions.sort()).toEqual([
      'events → events-ingest',
      'events-dead-letter → events-dead-letter-keep',
      'rejected-events → rejected-events-store',
    ]);
  });
});
