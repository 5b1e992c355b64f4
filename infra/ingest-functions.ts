import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { PUSH_ACK_DEADLINE_SECONDS, type FunctionSizing, type IngestSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';
import { grantSecretReads, secretEnvironment, secretsReady, type SecretVariable } from './secrets.ts';
import { grantWarehouseAccess } from './warehouse-access.ts';
import type { WarehouseFunction } from '../functions/registry.ts';

/** Deliveries of one message before Pub/Sub moves it to the dead-letter topic; the local stack uses the same. */
const MAX_DELIVERY_ATTEMPTS = 5;

export type IngestFunctionsArgs = {
  project: string;
  region: string;
  ingest: IngestSettings;
  storeRejected: FunctionSizing;
  source: FunctionArchive;
  topics: { events: gcp.pubsub.Topic; rejectedEvents: gcp.pubsub.Topic; deadLetter: gcp.pubsub.Topic };
  /** Pub/Sub duration (`604800s`) for which the push subscriptions retain undelivered messages. */
  retention: string;
  /** The dataset whose tables both functions insert rows into. */
  dataset: gcp.bigquery.Dataset;
  /** What the functions write to: no message is pushed, and no table granted on, before all of it exists. */
  storage: pulumi.Resource[];
  /** `USER_HASH_KEY`: ingest hashes user ids to find erasure tombstones. */
  hashKey: SecretVariable;
};

/** A function fed by a push subscription of its own. */
type PushedFunction = {
  /** Function name, and the name of its Cloud Run service. */
  name: string;
  entryPoint: string;
  accountId: string;
  sizing: FunctionSizing;
  environment: Record<string, pulumi.Input<string>>;
  /** Secrets it reads, each as an environment variable. */
  secrets: SecretVariable[];
  /** What it writes in the warehouse, as `TABLE_ACCESS` declares it. */
  access: WarehouseFunction;
  /** Project-level roles besides its warehouse access, each with its resource name. */
  projectRoles: { resourceName: string; role: string }[];
  topic: gcp.pubsub.Topic;
  subscription: string;
};

/**
 * `ingest` (accepted events → BigQuery and Firestore) and `store-rejected` (rejected events → BigQuery),
 * each fed by a push subscription with retries and a dead-letter topic. Neither is public: only the
 * `pubsub-push` account, whose tokens Pub/Sub signs, may invoke them.
 */
export class IngestFunctions extends pulumi.ComponentResource {
  readonly ingestUrl: pulumi.Output<string>;
  readonly storeRejectedUrl: pulumi.Output<string>;
  /** Name of the Cloud Run service of `ingest` (a gen2 function's service has the function's name). */
  readonly ingestService: pulumi.Output<string>;
  /** The push subscription that feeds `ingest`: its oldest unacked message tells how far ingest lags. */
  readonly ingestSubscription: gcp.pubsub.Subscription;

  constructor(name: string, args: IngestFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:IngestFunctions', name, {}, opts);
    const { project, region, topics } = args;

    const pushAccount = new gcp.serviceaccount.Account(
      'pubsub-push',
      { project, accountId: 'pubsub-push', displayName: 'Pub/Sub push to the ingest functions' },
      { parent: this },
    );
    // Pub/Sub acts through its service agent: it mints each push's OIDC token as `pubsub-push`, and it
    // moves a message that ran out of attempts to the dead-letter topic (acking it on the source subscription).
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { parent: this }).number;
    const pubsubAgent = pulumi.interpolate`serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const mintPushTokens = new gcp.serviceaccount.IAMMember(
      'pubsub-mints-push-tokens',
      { serviceAccountId: pushAccount.name, role: 'roles/iam.serviceAccountTokenCreator', member: pubsubAgent },
      { parent: this },
    );
    const publishDeadLetters = new gcp.pubsub.TopicIAMMember(
      'pubsub-publishes-dead-letters',
      { project, topic: topics.deadLetter.name, role: 'roles/pubsub.publisher', member: pubsubAgent },
      { parent: this },
    );

    const pushed = (spec: PushedFunction): { fn: gcp.cloudfunctionsv2.Function; subscription: gcp.pubsub.Subscription } => {
      const account = new gcp.serviceaccount.Account(
        spec.accountId,
        { project, accountId: spec.accountId, displayName: `${spec.name} function` },
        { parent: this },
      );
      // Rights on the tables it streams into, not on the dataset. No logging role: Cloud Run sends the JSON lines it
      // writes to stdout and stderr to Cloud Logging itself (https://cloud.google.com/run/docs/logging).
      const grants = [
        ...grantWarehouseAccess(
          spec.access,
          { project, dataset: args.dataset, member: account.member, resourcePrefix: spec.name, tables: args.storage },
          { parent: this },
        ),
        ...spec.projectRoles.map(
          ({ resourceName, role }) => new gcp.projects.IAMMember(resourceName, { project, role, member: account.member }, { parent: this }),
        ),
      ];
      const readSecrets = grantSecretReads(spec.name, { project, member: account.member, variables: spec.secrets }, { parent: this });

      const fn = nodeFunction(
        {
          project,
          region,
          name: spec.name,
          entryPoint: spec.entryPoint,
          source: args.source,
          sizing: spec.sizing,
          serviceAccountEmail: account.email,
          environment: spec.environment,
          secretEnvironment: secretEnvironment(spec.secrets),
        },
        // A revision whose account cannot read its secrets, or whose secret has no version yet, is refused at deploy time.
        { parent: this, dependsOn: [...readSecrets, ...secretsReady(spec.secrets)] },
      );
      const invoker = new gcp.cloudrunv2.ServiceIamMember(
        `${spec.name}-invokable-by-pubsub-push`,
        { project, location: region, name: fn.name, role: 'roles/run.invoker', member: pushAccount.member },
        { parent: this },
      );

      // Our own push subscription rather than an `eventTrigger`: the subscription Eventarc makes for a trigger
      // is Eventarc's, and cannot carry our dead-letter policy. No Eventarc is needed either: the Functions
      // Framework turns a plain Pub/Sub push body into the CloudEvent (`…pubsub.topic.v1.messagePublished`)
      // that `ingest` and `storeRejected` are registered for, and names the topic from the endpoint's path.
      // Cloud Run accepts a token whose audience is its own URL, for any path.
      const serviceUrl = fn.serviceConfig.apply((config) => config?.uri ?? '');
      const subscription = new gcp.pubsub.Subscription(
        spec.subscription,
        {
          project,
          name: spec.subscription,
          topic: spec.topic.name,
          pushConfig: {
            pushEndpoint: pulumi.interpolate`${serviceUrl}/projects/${project}/topics/${spec.topic.name}`,
            oidcToken: { serviceAccountEmail: pushAccount.email, audience: serviceUrl },
          },
          // For a push, the time Pub/Sub waits for the answer; the function's timeout is at most this.
          ackDeadlineSeconds: PUSH_ACK_DEADLINE_SECONDS,
          retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
          deadLetterPolicy: { deadLetterTopic: topics.deadLetter.id, maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS },
          messageRetentionDuration: args.retention,
          // Subscriptions expire after 31 quiet days by default, and the messages after that would be dropped.
          expirationPolicy: { ttl: '' },
        },
        // A push that fails for want of a permission or a table still counts as a delivery attempt.
        { parent: this, dependsOn: [invoker, mintPushTokens, publishDeadLetters, ...grants, ...args.storage] },
      );
      new gcp.pubsub.SubscriptionIAMMember(
        `pubsub-forwards-dead-letters-of-${spec.subscription}`,
        { project, subscription: subscription.name, role: 'roles/pubsub.subscriber', member: pubsubAgent },
        { parent: this },
      );
      return { fn, subscription };
    };

    const warehouse = { GOOGLE_CLOUD_PROJECT: project, WAREHOUSE: 'bigquery', BIGQUERY_DATASET: args.dataset.datasetId };
    const ingest = pushed({
      name: 'ingest',
      entryPoint: 'ingest',
      accountId: 'ingest-fn',
      sizing: args.ingest,
      environment: {
        ...warehouse,
        MARKER_TTL_DAYS: String(args.ingest.markerTtlDays),
        CLICK_THROUGH_SHARDS: String(args.ingest.clickThroughShards),
      },
      secrets: [args.hashKey],
      access: 'ingest',
      // Firestore has no IAM narrower than the project.
      projectRoles: [{ resourceName: 'ingest-uses-firestore', role: 'roles/datastore.user' }],
      topic: topics.events,
      subscription: 'events-ingest',
    });
    const storeRejected = pushed({
      name: 'store-rejected',
      entryPoint: 'storeRejected',
      accountId: 'store-rejected-fn',
      sizing: args.storeRejected,
      environment: warehouse,
      // Rejected input is stored as it came, by no hashed id.
      secrets: [],
      access: 'storeRejected',
      projectRoles: [],
      topic: topics.rejectedEvents,
      subscription: 'rejected-events-store',
    });

    this.ingestUrl = ingest.fn.url;
    this.storeRejectedUrl = storeRejected.fn.url;
    this.ingestService = ingest.fn.name;
    this.ingestSubscription = ingest.subscription;
    this.registerOutputs({
      ingestUrl: this.ingestUrl,
      storeRejectedUrl: this.storeRejectedUrl,
      ingestService: this.ingestService,
      ingestSubscription: this.ingestSubscription.name,
    });
  }
}
