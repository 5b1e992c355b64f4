import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export type MessagingArgs = {
  project: string;
  /** Pub/Sub duration (`604800s`) for which topics and keeping subscriptions retain messages. */
  retention: string;
};

/** The event topics, and the subscriptions that keep what must never be silently lost. */
export class Messaging extends pulumi.ComponentResource {
  /** Accepted event batches, published by `collect`. */
  readonly events: gcp.pubsub.Topic;
  /** Rejected events with their reasons, published by `collect`. */
  readonly rejectedEvents: gcp.pubsub.Topic;
  /** Messages the ingest subscription gave up on. */
  readonly deadLetter: gcp.pubsub.Topic;

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:messaging:Messaging', name, {}, opts);

    const topic = (topicName: string) =>
      new gcp.pubsub.Topic(
        topicName,
        { name: topicName, project: args.project, messageRetentionDuration: args.retention },
        { parent: this },
      );
    this.events = topic('events');
    this.rejectedEvents = topic('rejected-events');
    this.deadLetter = topic('events-dead-letter');

    // Pub/Sub drops what no subscription holds. Nothing consumes dead letters, and rejected events have
    // no consumer until the ingest function stores them: these pull subscriptions keep both, acked or not.
    const keep = (topic: gcp.pubsub.Topic, subscriptionName: string) =>
      new gcp.pubsub.Subscription(
        subscriptionName,
        {
          name: subscriptionName,
          project: args.project,
          topic: topic.name,
          messageRetentionDuration: args.retention,
          retainAckedMessages: true,
          expirationPolicy: { ttl: '' },
        },
        { parent: this },
      );
    keep(this.deadLetter, 'events-dead-letter-keep');
    keep(this.rejectedEvents, 'rejected-events-keep');

    this.registerOutputs({
      events: this.events.name,
      rejectedEvents: this.rejectedEvents.name,
      deadLetter: this.deadLetter.name,
    });
  }
}
