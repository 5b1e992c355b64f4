import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { BatchEnv, CommonEnv } from '../functions/config.ts';
import { envNames } from '../functions/kernel/env-names.ts';
import type { TableAccess } from '../functions/warehouse/table-access.ts';
import type { FunctionSizing } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';
import { grantSecretReads, secretEnvironment, secretsReady, type SecretVariable } from './secrets.ts';
import { grantWarehouseAccess } from './warehouse-access.ts';

/** What a function touches in the warehouse, and where. */
export type WarehouseUse = {
  dataset: gcp.bigquery.Dataset;
  /** The tables it declares (`needs.warehouse` of its descriptor): its account may touch these and no other. */
  access: TableAccess;
  /** Bytes one of its queries may bill (`MAXIMUM_BYTES_BILLED`), when it runs queries. */
  maximumBytesBilled: number;
};

/** What every function's component is built from: what the function is, and what its descriptor says it needs. */
export type FunctionArgs = {
  project: string;
  region: string;
  /**
   * Names the function and its Cloud Run service, and prefixes its account and grants: `<name>-fn` runs it. The
   * registry's name in kebab case (`store-rejected`); an account id has at most 30 characters.
   */
  name: string;
  /** What functions/index.ts registers it as; the runtime sets FUNCTION_TARGET to it. */
  entryPoint: string;
  source: FunctionArchive;
  /** Secrets it reads, each as an environment variable; its account may read these secrets and no other. */
  secrets: SecretVariable[];
  /** What it does in Firestore, which has no IAM narrower than the project: a read role, or a read-write one. */
  firestore: 'none' | 'read' | 'write';
  warehouse?: WarehouseUse;
  /** Topics it publishes to, each by its name. */
  publishes?: { name: string; topic: gcp.pubsub.Topic }[];
  /** Its environment beyond what its kind of function is told (the project, its log level, the warehouse, …). */
  environment?: Record<string, pulumi.Input<string>>;
  /** What it reads and writes (tables, the Firestore database): its grants on tables, and its first call, wait for it. */
  storage?: pulumi.Resource[];
  /** Other functions it calls (`needs.calls`), each by its Cloud Run service: its account may invoke each, and no other. */
  calls?: { name: string; service: pulumi.Input<string> }[];
  /** The bucket of history imports (`needs.importBucket`): its account may read, write and delete objects there. */
  importBucket?: gcp.storage.Bucket;
  /**
   * The component its resources were created under before this one, as `{ type, name }`: each resource keeps its
   * URN's former parent as an alias, so that Pulumi moves it rather than replacing it
   * (https://www.pulumi.com/docs/iac/concepts/options/aliases/).
   */
  formerParent?: { type: string; name: string };
};

/** The options of a component's children: their parent, and where they were before, if they moved. */
export function childOptions(parent: pulumi.Resource, formerParent: FunctionArgs['formerParent']): pulumi.CustomResourceOptions {
  return formerParent ? { parent, aliases: [{ parent: pulumi.createUrn(formerParent.name, formerParent.type) }] } : { parent };
}

/**
 * The account a function runs as, holding exactly what its needs call for: its secrets, its Firestore role, its
 * tables, and publishing to its topics. No logging role: Cloud Run sends the JSON lines a function writes to stdout
 * and stderr to Cloud Logging itself (https://cloud.google.com/run/docs/logging); only a caller of the Logging API
 * needs roles/logging.logWriter.
 */
export function functionAccount(
  args: FunctionArgs,
  displayName: string,
  opts: pulumi.CustomResourceOptions,
): { account: gcp.serviceaccount.Account; grants: pulumi.Resource[]; secretReads: pulumi.Resource[] } {
  const { project, name } = args;
  const account = new gcp.serviceaccount.Account(`${name}-fn`, { project, accountId: `${name}-fn`, displayName }, opts);
  const member = account.member;
  const grants: pulumi.Resource[] = [];
  // Firestore has no IAM narrower than the project.
  if (args.firestore === 'read')
    grants.push(new gcp.projects.IAMMember(`${name}-reads-firestore`, { project, role: 'roles/datastore.viewer', member }, opts));
  if (args.firestore === 'write')
    grants.push(new gcp.projects.IAMMember(`${name}-uses-firestore`, { project, role: 'roles/datastore.user', member }, opts));
  for (const { name: topicName, topic } of args.publishes ?? []) {
    grants.push(
      new gcp.pubsub.TopicIAMMember(
        `${name}-publishes-${topicName}`,
        { project, topic: topic.name, role: 'roles/pubsub.publisher', member },
        opts,
      ),
    );
  }
  if (args.warehouse) {
    grants.push(
      ...grantWarehouseAccess(
        args.warehouse.access,
        { project, dataset: args.warehouse.dataset, member, resourcePrefix: name, tables: args.storage ?? [] },
        opts,
      ),
    );
  }
  for (const callee of args.calls ?? []) {
    // Cloud Run checks the caller's identity token; the caller's account must hold the invoker role on the callee.
    grants.push(
      new gcp.cloudrunv2.ServiceIamMember(
        `${name}-invokes-${callee.name}`,
        { project, location: args.region, name: callee.service, role: 'roles/run.invoker', member },
        opts,
      ),
    );
  }
  if (args.importBucket) {
    // It reads the files, writes the staged rows and deletes them again: objects of this bucket only, not the bucket itself.
    grants.push(
      new gcp.storage.BucketIAMMember(
        `${name}-uses-import-bucket`,
        { bucket: args.importBucket.name, role: 'roles/storage.objectAdmin', member },
        opts,
      ),
    );
  }
  const secretReads = grantSecretReads(name, { project, member, variables: args.secrets }, opts);
  return { account, grants, secretReads: [...secretReads, ...secretsReady(args.secrets)] };
}

const BATCH = envNames(BatchEnv);

/**
 * What a function is told of the warehouse: BigQuery and the dataset; and, when it runs queries, where its query jobs
 * run and how many bytes one query may bill.
 */
export function warehouseEnvironment(use: WarehouseUse | undefined): Record<string, pulumi.Input<string>> {
  if (!use) return {};
  const streams = { [BATCH.WAREHOUSE]: 'bigquery', [BATCH.BIGQUERY_DATASET]: use.dataset.datasetId };
  if (use.access.via === 'streaming') return streams;
  return {
    ...streams,
    // Query jobs run where the dataset is; BigQuery puts a dataset declared without a location in the US.
    [BATCH.BIGQUERY_LOCATION]: use.dataset.location.apply((location) => location ?? 'US'),
    [BATCH.MAXIMUM_BYTES_BILLED]: String(use.maximumBytesBilled),
  };
}

const COMMON = envNames(CommonEnv);

/** What differs between the kinds of function: how it is sized and told, and what its first revision waits for. */
export type FunctionDeployment = {
  /** Its account's display name, e.g. `collect function`. */
  displayName: string;
  sizing: FunctionSizing;
  /** What its kind of function is told besides the project, the warehouse and `FunctionArgs.environment`. */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Whether its first revision waits for its account's grants too, not only for its secrets: a function that serves
   * requests as soon as it is up (`collect`, `users`, `operators`). A pushed function or a job is called only once
   * its subscription or schedule exists, which waits for the grants instead.
   */
  waitForGrants: boolean;
};

/**
 * The function and the account it runs as (`functionAccount`), built the same way for every kind of function: the
 * kind's component adds who may invoke it and what calls it.
 */
export function deployFunction(
  args: FunctionArgs,
  deployment: FunctionDeployment,
  opts: pulumi.CustomResourceOptions,
): { fn: gcp.cloudfunctionsv2.Function; account: gcp.serviceaccount.Account; grants: pulumi.Resource[]; secretReads: pulumi.Resource[] } {
  const { project } = args;
  const { account, grants, secretReads } = functionAccount(args, deployment.displayName, opts);
  const fn = nodeFunction(
    {
      project,
      region: args.region,
      name: args.name,
      entryPoint: args.entryPoint,
      source: args.source,
      sizing: deployment.sizing,
      serviceAccountEmail: account.email,
      environment: {
        [COMMON.GOOGLE_CLOUD_PROJECT]: project,
        ...warehouseEnvironment(args.warehouse),
        ...args.environment,
        ...deployment.environment,
      },
      secretEnvironment: secretEnvironment(args.secrets),
    },
    // A revision whose account cannot read its secrets, or whose secret has no version yet, is refused at deploy time.
    { ...opts, dependsOn: deployment.waitForGrants ? [...secretReads, ...grants] : secretReads },
  );
  return { fn, account, grants, secretReads };
}
