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

  it.each([
    ['events-dead-letter-keep', 'events-dead-letter'],
    ['rejected-events-keep', 'rejected-events'],
  ])('keeps every message of %s in a pull subscription that never expires', (subscription, topic) => {
    const keep = named(resources, TYPES.subscription, subscription);

    expect(keep.inputs).toMatchObject({
      name: subscription,
      topic,
      messageRetentionDuration: SEVEN_DAYS,
      retainAckedMessages: true,
      expirationPolicy: { ttl: '' },
    });
    expect(keep.inputs.pushConfig).toBeUndefined();
  });
});
