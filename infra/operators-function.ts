import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { OperatorsSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';
import { warehouseJobEnvironment } from './scheduled-job.ts';
import { grantSecretReads, secretEnvironment, secretsReady, type SecretVariable } from './secrets.ts';
import { grantWarehouseAccess } from './warehouse-access.ts';

export type OperatorsFunctionArgs = {
  project: string;
  region: string;
  settings: OperatorsSettings;
  source: FunctionArchive;
  /** `USER_HASH_KEY`: a request is recorded, and shown, by the hash of the user id. */
  hashKey: SecretVariable;
  /** The dataset the dashboard reads (the tables of `TABLE_ACCESS.operators`). */
  dataset: gcp.bigquery.Dataset;
  /** The tables: a grant on one waits for it. */
  tables: pulumi.Resource[];
  /** Bytes one dashboard query may bill (`MAXIMUM_BYTES_BILLED`). */
  maximumBytesBilled: number;
};

/**
 * The internal `operators` HTTP function: `DELETE /v1/users/{userId}/learning-data` files an erasure request for any
 * shopper, `GET /v1/erasures/{requestId}` tells how it stands, `GET /v1/users/{userId}/learning-status` sums up what was
 * learned, and `GET /dashboard` charts the loop from the warehouse. It takes no shopper token, so Cloud Run
 * authenticates every caller: only the members of the stack's `operators` may invoke it, and without them nobody can.
 */
export class OperatorsFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: OperatorsFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:OperatorsFunction', name, {}, opts);
    const { project, region, settings } = args;

    const account = new gcp.serviceaccount.Account(
      'operators-fn',
      { project, accountId: 'operators-fn', displayName: 'operators function' },
      { parent: this },
    );
    // Firestore has no IAM narrower than the project: it writes erasure requests and tombstones.
    new gcp.projects.IAMMember('operators-uses-firestore', { project, role: 'roles/datastore.user', member: account.member }, { parent: this });
    const readSecrets = grantSecretReads('operators', { project, member: account.member, variables: [args.hashKey] }, { parent: this });
    // The dashboard's queries read the tables TABLE_ACCESS.operators names, and nothing else of the warehouse. No
    // logging role: Cloud Run sends what it writes to stdout and stderr to Cloud Logging (https://cloud.google.com/run/docs/logging).
    const warehouseReads = grantWarehouseAccess(
      'operators',
      { project, dataset: args.dataset, member: account.member, resourcePrefix: 'operators', tables: args.tables },
      { parent: this },
    );

    const fn = nodeFunction(
      {
        project,
        region,
        name: 'operators',
        entryPoint: 'operators',
        source: args.source,
        sizing: settings,
        serviceAccountEmail: account.email,
        environment: { GOOGLE_CLOUD_PROJECT: project, LOG_LEVEL: settings.logLevel, ...warehouseJobEnvironment(args.dataset, args.maximumBytesBilled) },
        secretEnvironment: secretEnvironment([args.hashKey]),
      },
      // A revision whose account cannot read its secrets is refused at deploy time; the dashboard needs its reads.
      { parent: this, dependsOn: [...readSecrets, ...secretsReady([args.hashKey]), ...warehouseReads] },
    );

    // Not public: erasing any shopper is for the people and accounts named in the stack, each granted here by name.
    for (const member of settings.invokers) {
      new gcp.cloudrunv2.ServiceIamMember(
        `operators-invokable-by-${member}`,
        { project, location: region, name: fn.name, role: 'roles/run.invoker', member },
        { parent: this },
      );
    }
    if (settings.invokers.length === 0) {
      pulumi.log.warn(
        'Nobody may invoke the operators function: set the stack key operators, e.g. `pulumi config set operators group:privacy-ops@example.com`.',
        this,
      );
    }

    // Callers send a Google identity token (a person's from `gcloud auth print-identity-token`; an account's for
    // this URL as audience), which Cloud Run checks before the function sees the request.
    this.url = fn.serviceConfig.apply((config) => config?.uri ?? '');
    this.registerOutputs({ url: this.url });
  }
}
