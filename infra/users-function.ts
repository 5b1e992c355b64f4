import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { UsersSettings } from './config.ts';
import type { FunctionArchive } from './node-function.ts';
import { shopperFunction } from './shopper-function.ts';

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
 * The public `users` HTTP function (`GET /v1/users/{userId}/preferences`): it may read Firestore,
 * nothing more, and lets a shopper read only their own preferences.
 */
export class UsersFunction extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: UsersFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:UsersFunction', name, {}, opts);
    const fn = shopperFunction(this, {
      ...args,
      name: 'users',
      // Firestore has no IAM narrower than the project; `users` only reads `preferences/{userId}`.
      grant: (member) =>
        new gcp.projects.IAMMember('users-reads-firestore', { project: args.project, role: 'roles/datastore.viewer', member }, { parent: this }),
    });
    this.url = fn.url;
    this.registerOutputs({ url: this.url });
  }
}
