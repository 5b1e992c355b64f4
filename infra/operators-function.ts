import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { CommonEnv } from '../functions/config.ts';
import { envNames } from '../functions/kernel/env-names.ts';
import type { OperatorsSettings } from './config.ts';
import { childOptions, functionAccount, warehouseEnvironment, type FunctionArgs } from './function-account.ts';
import { nodeFunction } from './node-function.ts';
import { secretEnvironment } from './secrets.ts';

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
    const { account, grants, secretReads } = functionAccount(args, `${args.name} function`, own);

    const fn = nodeFunction(
      {
        project,
        region,
        name: args.name,
        entryPoint: args.entryPoint,
        source: args.source,
        sizing: settings,
        serviceAccountEmail: account.email,
        environment: {
          [COMMON.GOOGLE_CLOUD_PROJECT]: project,
          [COMMON.LOG_LEVEL]: settings.logLevel,
          ...warehouseEnvironment(args.warehouse),
          ...args.environment,
        },
        secretEnvironment: secretEnvironment(args.secrets),
      },
      // A revision whose account cannot read its secrets is refused at deploy time; the dashboard needs its reads.
      { ...own, dependsOn: [...secretReads, ...grants] },
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
      pulumi.log.warn(
        `Nobody may invoke the ${args.name} function: set the stack key operators, e.g. \`pulumi config set operators group:privacy-ops@example.com\`.`,
        this,
      );
    }

    this.url = fn.serviceConfig.apply((config) => config?.uri ?? '');
    this.registerOutputs({ url: this.url });
  }
}
