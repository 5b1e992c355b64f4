import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { CommonEnv } from '../functions/config.ts';
import { envNames } from '../functions/kernel/env-names.ts';
import type { OperatorsSettings } from './config.ts';
import { childOptions, deployFunction, type FunctionArgs } from './function-account.ts';

export type OperatorsFunctionArgs = FunctionArgs & { settings: OperatorsSettings };

const COMMON = envNames(CommonEnv);

/**
 * A function operators call (`operators`: erasure on a shopper's behalf, a shopper's learning status, the dashboard).
 * It takes no shopper token, so Cloud Run authenticates every caller: only the members of the stack's `operators` may
 * invoke it, and without them nobody can. Callers send a Google identity token (a person's from
 * `gcloud auth print-identity-token`; an account's for the URL as audience), which Cloud Run checks before the function
 * sees the request.
 */
export class OperatorsFunction extends pulumi.ComponentResource {
  /** The URL of its Cloud Run service. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: OperatorsFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:OperatorsFunction', name, {}, opts);
    const { project, region, settings } = args;
    const own = childOptions(this, args.formerParent);
    // The dashboard needs its reads as soon as it serves.
    const { fn } = deployFunction(
      args,
      {
        displayName: `${args.name} function`,
        sizing: settings,
        environment: { [COMMON.LOG_LEVEL]: settings.logLevel },
        waitForGrants: true,
      },
      own,
    );

    // Not public: what it does is for the people and accounts named in the stack, each granted here by name.
    for (const member of settings.invokers) {
      new gcp.cloudrunv2.ServiceIamMember(
        `${args.name}-invokable-by-${member}`,
        { project, location: region, name: fn.name, role: 'roles/run.invoker', member },
        own,
      );
    }
    if (settings.invokers.length === 0) {
      void pulumi.log.warn(
        `Nobody may invoke the ${args.name} function: set the stack key operators, e.g. \`pulumi config set operators group:privacy-ops@example.com\`.`,
        this,
      );
    }

    this.url = fn.serviceConfig.apply((config) => config?.uri ?? '');
    this.registerOutputs({ url: this.url });
  }
}
