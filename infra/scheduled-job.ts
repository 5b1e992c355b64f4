import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionSizing, ScheduledJobSettings } from './config.ts';
import { nodeFunction, type FunctionArchive } from './node-function.ts';
import { grantSecretReads, secretEnvironment, secretsReady, type SecretVariable } from './secrets.ts';
import { grantWarehouseAccess } from './warehouse-access.ts';
import type { WarehouseFunction } from '../functions/registry.ts';

/** A role of a job's account on the project, for what has no narrower resource (Firestore); `resourceName` names the grant. */
export type JobRole = { resourceName: string; role: string };

export type ScheduledJobArgs = {
  project: string;
  region: string;
  /**
   * Names the function, its Cloud Run service and the scheduler job, and prefixes its accounts:
   * `<name>-fn` runs it, `<name>-scheduler` calls it. An account id has at most 30 characters.
   */
  name: string;
  /** What `functions/index.ts` registers it as; the runtime sets FUNCTION_TARGET to it. */
  entryPoint: string;
  source: FunctionArchive;
  settings: ScheduledJobSettings;
  /** Environment beyond the project and the log level. */
  environment: Record<string, pulumi.Input<string>>;
  /** Secrets it reads, each as an environment variable; its account may read these secrets and no other. */
  secrets?: SecretVariable[];
  /** Project roles of the job's account besides its warehouse access and its `secrets`. */
  roles: JobRole[];
  /** The dataset, and the function whose declared tables (`TABLE_ACCESS`) the job's account may read and write there. */
  warehouse: { dataset: gcp.bigquery.Dataset; access: WarehouseFunction };
  /** What the job reads and writes: the schedule is created only once all of it exists, and table grants wait for it. */
  uses?: pulumi.Resource[];
  /** One line for the scheduler job's description. */
  description: string;
};

/**
 * Retries of a failed run (an error answer, or none by the deadline): 3 more attempts, 5, 10 and 20 minutes
 * after the one before (300 s doubled up to 3 times, never above an hour). Long enough for a transient BigQuery
 * or Firestore outage to pass, and few enough that the last attempt of a daily job ends (4 × 30 min + 35 min ≈ 2.6 h)
 * long before its next run. An hourly job's retries may run past its next scheduled time, which Cloud Scheduler then
 * skips: runs never overlap. A job must be safe to run again: a failed patterns run moves no watermark (`job_runs`),
 * and an erasure request stays pending until a run completes it.
 */
const RETRY = { retryCount: 3, minBackoffDuration: '300s', maxBackoffDuration: '3600s', maxDoublings: 3 } as const;

/**
 * A batch job Cloud Scheduler starts: an HTTP function that runs as its own account, with exactly `roles`, and
 * that only its own scheduler account may invoke, through an OIDC token Cloud Scheduler signs for each attempt.
 *
 * One scheduler account per job rather than one shared: the function's only invoker is then the account of its
 * own schedule, so a job's schedule can start no other job, and revoking or pausing one touches nothing else.
 * Accounts cost nothing, and the Cloud Scheduler service agent mints tokens for any account of its project.
 */
export class ScheduledJob extends pulumi.ComponentResource {
  /** The job's name: its function's, its Cloud Run service's and its scheduler job's, as `ScheduledJobArgs.name`. */
  readonly jobName: string;
  /** The URL Cloud Scheduler posts to: the Cloud Run service's, which accepts tokens with it as audience. */
  readonly url: pulumi.Output<string>;
  readonly fn: gcp.cloudfunctionsv2.Function;
  readonly schedulerJob: gcp.cloudscheduler.Job;

  constructor(name: string, args: ScheduledJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:jobs:ScheduledJob', name, {}, opts);
    const { project, region, settings } = args;
    this.jobName = args.name;

    const account = new gcp.serviceaccount.Account(
      `${args.name}-fn`,
      { project, accountId: `${args.name}-fn`, displayName: `${args.name} job` },
      { parent: this },
    );
    const secrets = args.secrets ?? [];
    const readSecrets = grantSecretReads(args.name, { project, member: account.member, variables: secrets }, { parent: this });
    // No logging role: its logs are JSON lines on stdout and stderr, which Cloud Run sends to Cloud Logging itself
    // (https://cloud.google.com/run/docs/logging); only a caller of the Logging API needs roles/logging.logWriter.
    const grants = [
      ...args.roles.map(({ resourceName, role }) => new gcp.projects.IAMMember(resourceName, { project, role, member: account.member }, { parent: this })),
      ...grantWarehouseAccess(
        args.warehouse.access,
        { project, dataset: args.warehouse.dataset, member: account.member, resourcePrefix: args.name, tables: args.uses ?? [] },
        { parent: this },
      ),
    ];

    // One run at a time, on one instance: runs of a job share its staging tables and its watermark, so two at
    // once would overwrite each other. A second request while one runs is refused (429) and retried later.
    // Nothing is kept warm: a job runs a few times a day at most, and a cold start is nothing beside a run.
    const { memory, cpu, timeoutSeconds } = settings;
    const sizing: FunctionSizing = { memory, cpu, timeoutSeconds, minInstances: 0, maxInstances: 1, concurrency: 1 };
    this.fn = nodeFunction(
      {
        project,
        region,
        name: args.name,
        entryPoint: args.entryPoint,
        source: args.source,
        sizing,
        serviceAccountEmail: account.email,
        environment: { GOOGLE_CLOUD_PROJECT: project, LOG_LEVEL: settings.logLevel, ...args.environment },
        secretEnvironment: secretEnvironment(secrets),
      },
      // A revision whose account cannot read its secrets, or whose secret has no version yet, is refused at deploy time.
      { parent: this, dependsOn: [...readSecrets, ...secretsReady(secrets)] },
    );

    const scheduler = new gcp.serviceaccount.Account(
      `${args.name}-scheduler`,
      { project, accountId: `${args.name}-scheduler`, displayName: `Cloud Scheduler calling the ${args.name} job` },
      { parent: this },
    );
    // Not public: the function does not authenticate its callers itself, so Cloud Run must.
    const invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${args.name}-invokable-by-scheduler`,
      { project, location: region, name: this.fn.name, role: 'roles/run.invoker', member: scheduler.member },
      { parent: this },
    );

    // Cloud Run accepts a token whose audience is its own URL.
    this.url = this.fn.serviceConfig.apply((config) => config?.uri ?? '');
    this.schedulerJob = new gcp.cloudscheduler.Job(
      args.name,
      {
        project,
        region,
        name: args.name,
        description: args.description,
        schedule: settings.schedule,
        timeZone: settings.timeZone,
        // As long as a run may take: a shorter deadline would retry a run still in progress.
        attemptDeadline: `${settings.timeoutSeconds}s`,
        retryConfig: RETRY,
        httpTarget: {
          uri: this.url,
          httpMethod: 'POST',
          // The API takes the body base64-encoded.
          body: Buffer.from('{}').toString('base64'),
          headers: { 'Content-Type': 'application/json' },
          oidcToken: { serviceAccountEmail: scheduler.email, audience: this.url },
        },
      },
      // An attempt that fails for want of a permission or a table still uses up a retry.
      { parent: this, dependsOn: [invoker, ...grants, ...readSecrets, ...(args.uses ?? [])] },
    );

    this.registerOutputs({ url: this.url, schedulerJob: this.schedulerJob.name });
  }
}

/**
 * What each batch job over the warehouse (patterns, erasure, retention, metrics) is built from; a job adds
 * what it needs besides, such as the hash key.
 */
export type WarehouseJobArgs<Settings extends ScheduledJobSettings = ScheduledJobSettings> = {
  project: string;
  region: string;
  settings: Settings;
  /** Bytes one query may bill (`MAXIMUM_BYTES_BILLED`). */
  maximumBytesBilled: number;
  source: FunctionArchive;
  /** The dataset it reads and writes (each job says which tables). */
  dataset: gcp.bigquery.Dataset;
  /** What must exist first (tables, the Firestore database): the job's grants on tables and its schedule wait for them. */
  uses: pulumi.Resource[];
};

/**
 * What a batch job over the warehouse is told: BigQuery, the dataset, where its query jobs run, and how many bytes one
 * query may bill (`MAXIMUM_BYTES_BILLED`).
 */
export function warehouseJobEnvironment(dataset: gcp.bigquery.Dataset, maximumBytesBilled: number): Record<string, pulumi.Input<string>> {
  return {
    WAREHOUSE: 'bigquery',
    BIGQUERY_DATASET: dataset.datasetId,
    // Query jobs run where the dataset is; BigQuery puts a dataset declared without a location in the US.
    BIGQUERY_LOCATION: dataset.location.apply((location) => location ?? 'US'),
    MAXIMUM_BYTES_BILLED: String(maximumBytesBilled),
  };
}
