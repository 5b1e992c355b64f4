import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { ShopperFunctionSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';
import { grantSecretReads, secretEnvironment, secretsReady, type SecretVariable } from './secrets.ts';

export type ShopperFunctionArgs = {
  project: string;
  region: string;
  /** Function, entry point and the prefix of its resources' names, e.g. `collect`. */
  name: string;
  settings: ShopperFunctionSettings;
  token: { issuer: string; audience: string };
  source: FunctionArchive;
  /** `TOKEN_KEY`: the key that verifies shopper tokens. */
  tokenKey: SecretVariable;
  /** Environment beyond the project, token claims and CORS origins. */
  environment?: Record<string, pulumi.Input<string>>;
  /** Secrets it reads besides the token key, each as an environment variable. */
  secrets?: SecretVariable[];
  /** What the function's account may do beyond reading the token key and `secrets`. */
  grant?: (member: pulumi.Output<string>) => void;
};

/**
 * A function shoppers call directly: public, because it verifies every shopper's token itself,
 * running as its own service account that may read the token key and `secrets`, and do what `grant` adds.
 * Resources are created with `parent` as their parent.
 */
export function shopperFunction(parent: pulumi.Resource, args: ShopperFunctionArgs): gcp.cloudfunctionsv2.Function {
  const { project, region, name, settings } = args;
  const account = new gcp.serviceaccount.Account(
    `${name}-fn`,
    { project, accountId: `${name}-fn`, displayName: `${name} function` },
    { parent },
  );
  args.grant?.(account.member);
  const secrets = [args.tokenKey, ...(args.secrets ?? [])];
  const readSecrets = grantSecretReads(name, { project, member: account.member, variables: secrets }, { parent });
  // No logging role: Cloud Run sends the JSON lines the function writes to stdout and stderr to Cloud Logging itself
  // (https://cloud.google.com/run/docs/logging); only a caller of the Logging API needs roles/logging.logWriter.

  const fn = nodeFunction(
    {
      project,
      region,
      name,
      entryPoint: name,
      source: args.source,
      sizing: settings,
      serviceAccountEmail: account.email,
      environment: {
        GOOGLE_CLOUD_PROJECT: project,
        ...args.environment,
        TOKEN_ISSUER: args.token.issuer,
        TOKEN_AUDIENCE: args.token.audience,
        CORS_ORIGINS: settings.corsOrigins,
      },
      secretEnvironment: secretEnvironment(secrets),
    },
    // A revision whose account cannot read its secrets, or whose secret has no version yet, is refused at deploy time.
    { parent, dependsOn: [...readSecrets, ...secretsReady(secrets)] },
  );

  // Public on purpose: the function authenticates every shopper itself by verifying their token.
  // Gen2 functions are invoked through their Cloud Run service, which has the function's name.
  new gcp.cloudrunv2.ServiceIamMember(
    `${name}-invokable-by-all`,
    { project, location: region, name: fn.name, role: 'roles/run.invoker', member: 'allUsers' },
    { parent },
  );
  return fn;
}
