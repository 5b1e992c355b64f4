import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { CollectSettings } from './config.ts';
import type { FunctionArchive } from './node-function.ts';
import type { SecretVariable } from './secrets.ts';
import { shopperFunction } from './shopper-function.ts';

export type CollectFunctionArgs = {
  project: string;
  region: string;
  settings: CollectSettings;
  token: { issuer: string; audience: string };
  source: FunctionArchive;
  topics: { events: gcp.pubsub.Topic; rejectedEvents: gcp.pubsub.Topic };
  /** `TOKEN_KEY`: the key that verifies shopper tokens. */
  tokenKey: SecretVariable;
  /** `USER_HASH_KEY`: collect hashes user ids to find an erased shopper's tombstone. */
  hashKey: SecretVariable;
};

/**
 * The public `collect` HTTP function: it may publish to the events and rejected-events topics and read Firestore
 * (each shopper's privacy settings), nothing more.
 */
export class CollectFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  /** Name of its Cloud Run service (a gen2 function's service has the function's name). */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: CollectFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:CollectFunction', name, {}, opts);
    const { project } = args;
    const fn = shopperFunction(this, {
      ...args,
      name: 'collect',
      environment: {
        EVENTS_TOPIC: args.topics.events.name,
        REJECTED_EVENTS_TOPIC: args.topics.rejectedEvents.name,
        PRIVACY_CACHE_SECONDS: String(args.settings.privacyCacheSeconds),
      },
      secrets: [args.hashKey],
      grant: (member) => {
        const publishTo = (topic: gcp.pubsub.Topic, resourceName: string) =>
          new gcp.pubsub.TopicIAMMember(resourceName, { project, topic: topic.name, role: 'roles/pubsub.publisher', member }, { parent: this });
        publishTo(args.topics.events, 'collect-publishes-events');
        publishTo(args.topics.rejectedEvents, 'collect-publishes-rejected-events');
        // Firestore has no IAM narrower than the project; collect only reads `privacy/{userId}`.
        new gcp.projects.IAMMember('collect-reads-firestore', { project, role: 'roles/datastore.viewer', member }, { parent: this });
      },
    });
    this.url = fn.url;
    this.serviceName = fn.name;
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}
