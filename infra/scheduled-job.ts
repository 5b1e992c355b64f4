import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { CommonEnv } from '../functions/config.ts';
import { envNames } from '../functions/kernel/env-names.ts';
import type { FunctionSizing, ScheduledJobSettings } from './config.ts';
import { childOptions, deployFunction, type FunctionArgs } from './function-account.ts';

export type ScheduledJobArgs = FunctionArgs & {
  settings: ScheduledJobSettings;
  /** One line for the scheduler job's description. */
  description: string;
};

const COMMON = envNames(CommonEnv);

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
 * A batch job Cloud Scheduler starts: an HTTP function that runs as its own account, holding what its needs call for,
 * and that only its own scheduler account may invoke, through an OIDC token Cloud Scheduler signs for each attempt.
 *
 * One scheduler account per job rather than one shared: the function's only invoker is then the account of its
 * own schedule, so a job's schedule can start no other job, and revoking or pausing one touches nothing else.
 * Accounts cost nothing, and the Cloud Scheduler service agent mints tokens for any account of its project.
 */
export class ScheduledJob extends pulumi.ComponentResource {
  /** The job's name: its function's, its Cloud Run service's and its scheduler job's, as `FunctionArgs.name`. */
  readonly jobName: string;
  /** The URL Cloud Scheduler posts to: the Cloud Run service's, which accepts tokens with it as audience. */
  readonly url: pulumi.Output<string>;
  readonly fn: gcp.cloudfunctionsv2.Function;
  readonly schedulerJob: gcp.cloudscheduler.Job;

  constructor(name: string, args: ScheduledJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:jobs:ScheduledJob', name, {}, opts);
    const { project, region, settings } = args;
    this.jobName = args.name;

    const own = childOptions(this, args.formerParent);
    // One run at a time, on one instance: runs of a job share its staging tables and its watermark, so two at
    // once would overwrite each other. A second request while one runs is refused (429) and retried later.
    // Nothing is kept warm: a job runs a few times a day at most, and a cold start is nothing beside a run.
    const { memory, cpu, timeoutSeconds } = settings;
    const sizing: FunctionSizing = { memory, cpu, timeoutSeconds, minInstances: 0, maxInstances: 1, concurrency: 1 };
    const { fn, grants, secretReads } = deployFunction(
      args,
      { displayName: `${args.name} job`, sizing, environment: { [COMMON.LOG_LEVEL]: settings.logLevel }, waitForGrants: false },
      own,
    );
    this.fn = fn;

    const scheduler = new gcp.serviceaccount.Account(
      `${args.name}-scheduler`,
      { project, accountId: `${args.name}-scheduler`, displayName: `Cloud Scheduler calling the ${args.name} job` },
      own,
    );
    // Not public: the function does not authenticate its callers itself, so Cloud Run must.
    const invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${args.name}-invokable-by-scheduler`,
      { project, location: region, name: this.fn.name, role: 'roles/run.invoker', member: scheduler.member },
      own,
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
      { ...own, dependsOn: [invoker, ...grants, ...secretReads, ...(args.storage ?? [])] },
    );

    this.registerOutputs({ url: this.url, schedulerJob: this.schedulerJob.name });
  }
}
