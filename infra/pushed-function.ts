import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { PUSH_ACK_DEADLINE_SECONDS } from '../functions/descriptor.ts';
import { MAX_DELIVERY_ATTEMPTS } from '../functions/events/topics.ts';
import type { FunctionSizing } from './config.ts';
import { childOptions, deployFunction, type FunctionArgs } from './function-account.ts';

export type PushDeliveryArgs = {
  project: string;
  /** Where Pub/Sub moves a message that ran out of delivery attempts. */
  deadLetter: gcp.pubsub.Topic;
  formerParent?: FunctionArgs['formerParent'];
};

/**
 * How Pub/Sub pushes to the functions: as the `pubsub-push` account, whose OIDC tokens its service agent signs, and
 * with the right to move a message that ran out of attempts to the dead-letter topic.
 */
export class PushDelivery extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  /** The Pub/Sub service agent, which acts for every subscription of the project. */
  readonly agent: pulumi.Output<string>;
  /** What a push subscription waits for: without these grants, its first pushes would fail and count as attempts. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: PushDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:PushDelivery', name, {}, opts);
    const { project } = args;
    const own = childOptions(this, args.formerParent);
    this.account = new gcp.serviceaccount.Account(
      'pubsub-push',
      { project, accountId: 'pubsub-push', displayName: 'Pub/Sub push to the ingest functions' },
      own,
    );
    // Pub/Sub acts through its service agent: it mints each push's OIDC token as `pubsub-push`, and it
    // moves a message that ran out of attempts to the dead-letter topic (acking it on the source subscription).
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { parent: this }).number;
    this.agent = pulumi.interpolate`serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const mintPushTokens = new gcp.serviceaccount.IAMMember(
      'pubsub-mints-push-tokens',
      { serviceAccountId: this.account.name, role: 'roles/iam.serviceAccountTokenCreator', member: this.agent },
      own,
    );
    const publishDeadLetters = new gcp.pubsub.TopicIAMMember(
      'pubsub-publishes-dead-letters',
      { project, topic: args.deadLetter.name, role: 'roles/pubsub.publisher', member: this.agent },
      own,
    );
    this.ready = [mintPushTokens, publishDeadLetters];
    this.registerOutputs({ account: this.account.email });
  }
}

export type PushedFunctionArgs = FunctionArgs & {
  sizing: FunctionSizing;
  /** The topic whose messages are pushed to it, by its own subscription of this name. */
  topic: gcp.pubsub.Topic;
  subscription: string;
  delivery: PushDelivery;
  deadLetter: gcp.pubsub.Topic;
  /** Pub/Sub duration (`604800s`) for which its subscription retains undelivered messages. */
  retention: string;
};

/**
 * A function fed by a push subscription of its own (`ingest`, `storeRejected`), with retries and a dead-letter topic.
 * Not public: only the `pubsub-push` account, whose tokens Pub/Sub signs, may invoke it.
 */
export class PushedFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  /** Name of its Cloud Run service (a gen2 function's service has the function's name). */
  readonly serviceName: pulumi.Output<string>;
  /** The push subscription that feeds it: its oldest unacked message tells how far the function lags. */
  readonly subscription: gcp.pubsub.Subscription;

  constructor(name: string, args: PushedFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:PushedFunction', name, {}, opts);
    const { project, region, delivery } = args;
    const own = childOptions(this, args.formerParent);
    const { fn, grants } = deployFunction(args, { displayName: `${args.name} function`, sizing: args.sizing, waitForGrants: false }, own);
    const invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${args.name}-invokable-by-pubsub-push`,
      { project, location: region, name: fn.name, role: 'roles/run.invoker', member: delivery.account.member },
      own,
    );

    // Our own push subscription rather than an `eventTrigger`: the subscription Eventarc makes for a trigger
    // is Eventarc's, and cannot carry our dead-letter policy. No Eventarc is needed either: the Functions
    // Framework turns a plain Pub/Sub push body into the CloudEvent (`…pubsub.topic.v1.messagePublished`)
    // that a pushed function is registered for, and names the topic from the endpoint's path.
    // Cloud Run accepts a token whose audience is its own URL, for any path.
    const serviceUrl = fn.serviceConfig.apply((config) => config?.uri ?? '');
    this.subscription = new gcp.pubsub.Subscription(
      args.subscription,
      {
        project,
        name: args.subscription,
        topic: args.topic.name,
        pushConfig: {
          pushEndpoint: pulumi.interpolate`${serviceUrl}/projects/${project}/topics/${args.topic.name}`,
          oidcToken: { serviceAccountEmail: delivery.account.email, audience: serviceUrl },
        },
        // For a push, the time Pub/Sub waits for the answer; the function's timeout is at most this.
        ackDeadlineSeconds: PUSH_ACK_DEADLINE_SECONDS,
        retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
        deadLetterPolicy: { deadLetterTopic: args.deadLetter.id, maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS },
        messageRetentionDuration: args.retention,
        // Subscriptions expire after 31 quiet days by default, and the messages after that would be dropped.
        expirationPolicy: { ttl: '' },
      },
      // A push that fails for want of a permission or a table still counts as a delivery attempt.
      { ...own, dependsOn: [invoker, ...delivery.ready, ...grants, ...(args.storage ?? [])] },
    );
    new gcp.pubsub.SubscriptionIAMMember(
      `pubsub-forwards-dead-letters-of-${args.subscription}`,
      { project, subscription: this.subscription.name, role: 'roles/pubsub.subscriber', member: delivery.agent },
      own,
    );

    this.url = fn.url;
    this.serviceName = fn.name;
    this.registerOutputs({ url: this.url, serviceName: this.serviceName, subscription: this.subscription.name });
  }
}
