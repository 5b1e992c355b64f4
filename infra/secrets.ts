import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export type SecretsArgs = { project: string };

/**
 * Secret Manager secrets. Only the secrets are declared: their values never pass through Pulumi
 * state; the operator adds them with `gcloud secrets versions add`.
 */
export class Secrets extends pulumi.ComponentResource {
  /** Key that verifies shopper tokens (HS256 secret or PEM public key). */
  readonly userTokenKey: gcp.secretmanager.Secret;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:secrets:Secrets', name, {}, opts);

    this.userTokenKey = new gcp.secretmanager.Secret(
      'user-token-key',
      { secretId: 'user-token-key', project: args.project, replication: { auto: {} } },
      { parent: this },
    );

    this.registerOutputs({ userTokenKey: this.userTokenKey.secretId });
  }
}
