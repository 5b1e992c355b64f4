import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionSizing } from './config.ts';

/** What every function is built from and by (`FunctionBuild`): the uploaded archive, the build account and the image repository. */
export type FunctionArchive = {
  bucket: pulumi.Input<string>;
  object: pulumi.Input<string>;
  /** The account Cloud Build runs the build as, fully qualified: `projects/<project>/serviceAccounts/<email>`. */
  buildServiceAccount: pulumi.Input<string>;
  /** The Artifact Registry repository the image goes to: `projects/<project>/locations/<region>/repositories/<id>`. */
  dockerRepository: pulumi.Input<string>;
  /** The build account's grants: a build started before them fails, and a failed build fails the deployment. */
  builtAfter: pulumi.Resource[];
};

export type NodeFunctionArgs = {
  project: string;
  region: string;
  /** Function name; its Cloud Run service has the same name. */
  name: string;
  /** What `functions/index.ts` registers it as; the runtime sets FUNCTION_TARGET to it, so the entry file builds only this function. */
  entryPoint: string;
  source: FunctionArchive;
  sizing: FunctionSizing;
  serviceAccountEmail: pulumi.Input<string>;
  environment: Record<string, pulumi.Input<string>>;
  /** Environment variables read from the latest version of a Secret Manager secret. */
  secretEnvironment?: { key: string; secretId: pulumi.Input<string> }[];
};

/** A gen2 Node 22 function built from the shared archive by the build account, after what `opts.dependsOn` names. */
export function nodeFunction(
  args: NodeFunctionArgs,
  opts: Omit<pulumi.CustomResourceOptions, 'dependsOn'> & { dependsOn?: pulumi.Resource[] },
): gcp.cloudfunctionsv2.Function {
  const { project, sizing } = args;
  return new gcp.cloudfunctionsv2.Function(
    args.name,
    {
      name: args.name,
      project,
      location: args.region,
      buildConfig: {
        runtime: 'nodejs22',
        entryPoint: args.entryPoint,
        source: { storageSource: { bucket: args.source.bucket, object: args.source.object } },
        serviceAccount: args.source.buildServiceAccount,
        dockerRepository: args.source.dockerRepository,
        // The archive holds the compiled `dist/`; the buildpack would otherwise run `npm run build`
        // on sources the archive does not contain.
        environmentVariables: { GOOGLE_NODE_RUN_SCRIPTS: '' },
      },
      serviceConfig: {
        serviceAccountEmail: args.serviceAccountEmail,
        availableMemory: sizing.memory,
        availableCpu: sizing.cpu,
        minInstanceCount: sizing.minInstances,
        maxInstanceCount: sizing.maxInstances,
        maxInstanceRequestConcurrency: sizing.concurrency,
        timeoutSeconds: sizing.timeoutSeconds,
        // Reachable from the internet, but Cloud Run lets through only callers holding `run.invoker`
        // (collect and users grant it to allUsers; the pushed functions only to `pubsub-push`; a scheduled job
        // only to its own scheduler account; operators only to the members of the stack's `operators`).
        ingressSettings: 'ALLOW_ALL',
        environmentVariables: args.environment,
        ...(args.secretEnvironment && args.secretEnvironment.length > 0
          ? {
              secretEnvironmentVariables: args.secretEnvironment.map(({ key, secretId }) => ({
                key,
                projectId: project,
                secret: secretId,
                version: 'latest',
              })),
            }
          : {}),
      },
    },
    { ...opts, dependsOn: [...(opts.dependsOn ?? []), ...args.source.builtAfter] },
  );
}
