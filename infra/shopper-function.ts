import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { TokenEnv } from '../functions/config.ts';
import { envNames } from '../functions/kernel/env-names.ts';
import type { ShopperFunctionSettings } from './config.ts';
import { childOptions, deployFunction, type FunctionArgs } from './function-account.ts';

export type ShopperFunctionArgs = FunctionArgs & {
  settings: ShopperFunctionSettings;
  /** Claims a shopper token must carry. */
  token: { issuer: string; audience: string };
};

const TOKEN = envNames(TokenEnv);

/**
 * A function shoppers call directly (`collect`, `users`): public, because it verifies every shopper's token itself,
 * and running as its own service account, which holds what its descriptor needs and nothing more.
 */
export class ShopperFunction extends pulumi.ComponentResource {
  /** The function's URL. */
  readonly url: pulumi.Output<string>;
  /** Name of its Cloud Run service (a gen2 function's service has the function's name). */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: ShopperFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:ShopperFunction', name, {}, opts);
    const { project, region, settings } = args;
    const own = childOptions(this, args.formerParent);
    const { fn } = deployFunction(
      args,
      {
        displayName: `${args.name} function`,
        sizing: settings,
        environment: {
          [TOKEN.TOKEN_ISSUER]: args.token.issuer,
          [TOKEN.TOKEN_AUDIENCE]: args.token.audience,
          [TOKEN.CORS_ORIGINS]: settings.corsOrigins,
        },
        waitForGrants: true,
      },
      own,
    );

    // Public on purpose: the function authenticates every shopper itself by verifying their token.
    // Gen2 functions are invoked through their Cloud Run service, which has the function's name.
    new gcp.cloudrunv2.ServiceIamMember(
      `${args.name}-invokable-by-all`,
      { project, location: region, name: fn.name, role: 'roles/run.invoker', member: 'allUsers' },
      own,
    );
    this.url = fn.url;
    this.serviceName = fn.name;
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}
