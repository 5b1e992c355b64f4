import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export type SecretsArgs = { project: string };

/** An environment variable a function reads from the latest version of a secret. */
export type SecretVariable = {
  /** The variable's name, e.g. `USER_HASH_KEY`. */
  key: string;
  secret: gcp.secretmanager.Secret;
  /** The secret's id as plain text, to name each grant: `<function>-reads-<secretName>`. */
  secretName: string;
};

/**
 * Secret Manager secrets. Only the secrets are declared: their values never pass through Pulumi
 * state; the operator adds them with `gcloud secrets versions add`.
 */
export class Secrets extends pulumi.ComponentResource {
  /** Key that verifies shopper tokens (HS256 secret or PEM public key). */
  readonly userTokenKey: gcp.secretmanager.Secret;
  /**
   * Key of the keyed hash (HMAC) that erasure keeps instead of user ids: tombstones and the erasure log are found by
   * it. It must never change: under a new key an erased shopper's late events would no longer meet their tombstone.
   */
  readonly userHashKey: gcp.secretmanager.Secret;
  /** `USER_HASH_KEY`, as the functions that hash user ids read it. */
  readonly userHashKeyVariable: SecretVariable;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:secrets:Secrets', name, {}, opts);

    this.userTokenKey = new gcp.secretmanager.Secret(
      'user-token-key',
      { secretId: 'user-token-key', project: args.project, replication: { auto: {} } },
      { parent: this },
    );
    this.userHashKey = new gcp.secretmanager.Secret(
      'user-hash-key',
      // Deleting it would take its versions along, and with them every tombstone's meaning: Pulumi refuses to.
      { secretId: 'user-hash-key', project: args.project, replication: { auto: {} }, deletionProtection: true },
      { parent: this },
    );
    this.userHashKeyVariable = { key: 'USER_HASH_KEY', secret: this.userHashKey, secretName: 'user-hash-key' };

    this.registerOutputs({ userTokenKey: this.userTokenKey.secretId, userHashKey: this.userHashKey.secretId });
  }
}

/**
 * Lets `member`, a function's account, read each variable's secret and nothing else. The function must wait for
 * these grants: a revision whose account cannot read its secrets is refused at deploy time.
 */
export function grantSecretReads(
  functionName: string,
  args: { project: string; member: pulumi.Input<string>; variables: readonly SecretVariable[] },
  opts: pulumi.CustomResourceOptions,
): gcp.secretmanager.SecretIamMember[] {
  return args.variables.map(
    ({ secret, secretName }) =>
      new gcp.secretmanager.SecretIamMember(
        `${functionName}-reads-${secretName}`,
        { project: args.project, secretId: secret.secretId, role: 'roles/secretmanager.secretAccessor', member: args.member },
        opts,
      ),
  );
}

/** The variables as `nodeFunction` takes them. */
export function secretEnvironment(variables: readonly SecretVariable[]): { key: string; secretId: pulumi.Input<string> }[] {
  return variables.map(({ key, secret }) => ({ key, secretId: secret.secretId }));
}
