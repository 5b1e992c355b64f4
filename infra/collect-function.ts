import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { CollectSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';

export type CollectFunctionArgs = {
  project: string;
  region: string;
  settings: CollectSettings;
  token: { issuer: string; audience: string };
  source: FunctionArchive;
  topics: { events: gcp.pubsub.Topic; rejectedEvents: gcp.pubsub.Topic };
  /** Secret holding the key that verifies shopper tokens. */
  tokenKey: gcp.secretmanager.Secret;
};

/** The public `collect` HTTP function, running as its own service account with only what it uses. */
export class CollectFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CollectFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:CollectFunction', name, {}, opts);
    const { project, region, settings } = args;

    const account = new gcp.serviceaccount.Account(
      'collect-fn',
      { project, accountId: 'collect-fn', displayName: 'collect function' },
      { parent: this },
    );
    const publishTo = (topic: gcp.pubsub.Topic, resourceName: string) =>
      new gcp.pubsub.TopicIAMMember(
        resourceName,
        { project, topic: topic.name, role: 'roles/pubsub.publisher', member: account.member },
        { parent: this },
      );
    publishTo(args.topics.events, 'collect-publishes-events');
    publishTo(args.topics.rejectedEvents, 'collect-publishes-rejected-events');
    const readTokenKey = new gcp.secretmanager.SecretIamMember(
      'collect-reads-user-token-key',
      { project, secretId: args.tokenKey.secretId, role: 'roles/secretmanager.secretAccessor', member: account.member },
      { parent: this },
    );
    new gcp.projects.IAMMember(
      'collect-writes-logs',
      { project, role: 'roles/logging.logWriter', member: account.member },
      { parent: this },
    );

    const fn = nodeFunction(
      {
        project,
        region,
        name: 'collect',
        entryPoint: 'collect',
        source: args.source,
        sizing: settings,
        serviceAccountEmail: account.email,
        environment: {
          GOOGLE_CLOUD_PROJECT: project,
          EVENTS_TOPIC: args.topics.events.name,
          REJECTED_EVENTS_TOPIC: args.topics.rejectedEvents.name,
          TOKEN_ISSUER: args.token.issuer,
          TOKEN_AUDIENCE: args.token.audience,
          CORS_ORIGINS: settings.corsOrigins,
        },
        secretEnvironment: [{ key: 'TOKEN_KEY', secretId: args.tokenKey.secretId }],
      },
      // A revision whose account cannot read its secrets is refused at deploy time.
      { parent: this, dependsOn: [readTokenKey] },
    );

    // Public on purpose: collect authenticates every shopper itself by verifying their token.
    // Gen2 functions are invoked through their Cloud Run service, which has the function's name.
    new gcp.cloudrunv2.ServiceIamMember(
      'collect-invokable-by-all',
      { project, location: region, name: fn.name, role: 'roles/run.invoker', member: 'allUsers' },
      { parent: this },
    );

    this.url = fn.url;
    this.registerOutputs({ url: this.url });
  }
}
