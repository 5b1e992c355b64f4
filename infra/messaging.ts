import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { TOPICS } from '../functions/events/topics.ts';

export type MessagingArgs = {
  project: string;
  /** Pub/Sub duration (`604800s`) for which topics and the dead-letter subscription retain messages. */
  retention: string;
};

/** The event topics, and the subscription that keeps dead letters: nothing is silently lost. */
export class Messaging extends pulumi.ComponentResource {
  /** Accepted event batches, published by `collect`. */
  readonly events: gcp.pubsub.Topic;
  /** Rejected events with their reasons, published by `collect`. */
  readonly rejectedEvents: gcp.pubsub.Topic;
  /** Messages the push subscriptions gave up on. */
  readonly deadLetter: gcp.pubsub.Topic;
  /** The pull subscription that keeps dead letters; its backlog is the count of messages given up on. */
  readonly deadLetterKeep: gcp.pubsub.Subscription;

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:messaging:Messaging', name, {}, opts);

    const topic = (topicName: string) =>
      new gcp.pubsub.Topic(
        topicName,
        { name: topicName, project: args.project, messageRetentionDuration: args.retention },
        { parent: this },
      );
    this.events = topic(TOPICS.events);
    this.rejectedEvents = topic(TOPICS.rejected);
    this.deadLetter = topic(TOPICS.deadLetter);

    // Pub/Sub drops what no subscription holds, and nothing consumes dead letters: this pull subscription
    // keeps them, acked or not, for inspection and replay. (`store-rejected` keeps rejected events, in BigQuery.)
    this.deadLetterKeep = new gcp.pubsub.Subscription(
      'events-dead-letter-keep',
      {
        name: 'events-dead-letter-keep',
        project: args.project,
        topic: this.deadLetter.name,
        messageRetentionDuration: args.retention,
        retainAckedMessages: true,
        expirationPolicy: { ttl: '' },
      },
      { parent: this },
    );

    this.registerOutputs({
      events: this.events.name,
      rejectedEvents: this.rejectedEvents.name,
      deadLetter: this.deadLetter.name,
      deadLetterKeep: this.deadLetterKeep.name,
    });
  }
}
