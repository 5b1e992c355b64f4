import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { UsersSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';

export type UsersFunctionArgs = {
  project: string;
  region: string;
  settings: UsersSettings;
  token: { issuer: string; audience: string };
  source: FunctionArchive;
  /** Secret holding the key that verifies shopper tokens. */
  tokenKey: gcp.secretmanager.Secret;
};

/**
 * The public `users` HTTP function (`GET /v1/users/{userId}/preferences`), running as its own service
 * account, which may only read Firestore, read the token key, and write logs.
 */
export class UsersFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: UsersFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:UsersFunction', name, {}, opts);
    const { project, region, settings } = args;

    const account = new gcp.serviceaccount.Account(
      'users-fn',
      { project, accountId: 'users-fn', displayName: 'users function' },
      { parent: this },
    );
    // Firestore has no IAM narrower than the project; `users` only reads `preferences/{userId}`.
    new gcp.projects.IAMMember(
      'users-reads-firestore',
      { project, role: 'roles/datastore.viewer', member: account.member },
      { parent: this },
    );
    const readTokenKey = new gcp.secretmanager.SecretIamMember(
      'users-reads-user-token-key',
      { project, secretId: args.tokenKey.secretId, role: 'roles/secretmanager.secretAccessor', member: account.member },
      { parent: this },
    );
    new gcp.projects.IAMMember(
      'users-writes-logs',
      { project, role: 'roles/logging.logWriter', member: account.member },
      { parent: this },
    );

    const fn = nodeFunction(
      {
        project,
        region,
        name: 'users',
        entryPoint: 'users',
        source: args.source,
        sizing: settings,
        serviceAccountEmail: account.email,
        environment: {
          GOOGLE_CLOUD_PROJECT: project,
          TOKEN_ISSUER: args.token.issuer,
          TOKEN_AUDIENCE: args.token.audience,
          CORS_ORIGINS: settings.corsOrigins,
        },
        secretEnvironment: [{ key: 'TOKEN_KEY', secretId: args.tokenKey.secretId }],
      },
      // A revision whose account cannot read its secrets is refused at deploy time.
      { parent: this, dependsOn: [readTokenKey] },
    );

    // Public on purpose: users authenticates every shopper itself by verifying their token, and lets a
    // shopper read only their own preferences. Gen2 functions are invoked through their Cloud Run service.
    new gcp.cloudrunv2.ServiceIamMember(
      'users-invokable-by-all',
      { project, location: region, name: fn.name, role: 'roles/run.invoker', member: 'allUsers' },
      { parent: this },
    );

    this.url = fn.url;
    this.registerOutputs({ url: this.url });
  }
}
