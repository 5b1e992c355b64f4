import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { UsersSettings } from './config.ts';
import type { FunctionArchive } from './node-function.ts';
import type { SecretVariable } from './secrets.ts';
import { shopperFunction } from './shopper-function.ts';

export type UsersFunctionArgs = {
  project: string;
  region: string;
  settings: UsersSettings;
  token: { issuer: string; audience: string };
  source: FunctionArchive;
  /** `TOKEN_KEY`: the key that verifies shopper tokens. */
  tokenKey: SecretVariable;
  /** `USER_HASH_KEY`: users hashes the user id of an erasure request. */
  hashKey: SecretVariable;
};

/**
 * The public `users` HTTP function (a shopper's preferences, privacy settings and erasure requests): it may
 * read and write Firestore, nothing more, and lets a shopper reach only their own data.
 */
export class UsersFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: UsersFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:UsersFunction', name, {}, opts);
    const fn = shopperFunction(this, {
      ...args,
      name: 'users',
      secrets: [args.hashKey],
      // Firestore has no IAM narrower than the project; `users` writes privacy settings and erasure requests.
      grant: (member) =>
        new gcp.projects.IAMMember('users-uses-firestore', { project: args.project, role: 'roles/datastore.user', member }, { parent: this }),
    });
    this.url = fn.url;
    this.registerOutputs({ url: this.url });
  }
}
