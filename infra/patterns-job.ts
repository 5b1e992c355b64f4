import type * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';
import type { PatternsSettings } from './config.ts';
import type { FunctionArchive } from './node-function.ts';
import { ScheduledJob } from './scheduled-job.ts';

export type PatternsJobArgs = {
  project: string;
  region: string;
  settings: PatternsSettings;
  /** Bytes one query may bill (`MAXIMUM_BYTES_BILLED`). */
  maximumBytesBilled: number;
  source: FunctionArchive;
  /** The dataset whose events it reads and whose `user_patterns`, staging and `job_runs` tables it writes. */
  dataset: gcp.bigquery.Dataset;
  /** The tables and the Firestore database: the schedule starts only once they exist. */
  uses: pulumi.Resource[];
};

/**
 * The `patterns` job: the pattern queries of `sql/` over the shoppers with new events, merged into
 * `user_patterns` and published to `preferences/{userId}.patterns`. It does not verify shopper tokens,
 * so it has no secret.
 */
export function patternsJob(args: PatternsJobArgs, opts?: pulumi.ComponentResourceOptions): ScheduledJob {
  const { project, dataset } = args;
  return new ScheduledJob(
    'patterns',
    {
      project,
      region: args.region,
      name: 'patterns',
      entryPoint: 'patterns',
      source: args.source,
      settings: args.settings,
      description: 'Computes the purchase patterns of shoppers with new events and publishes the changed ones to Firestore.',
      environment: {
        WAREHOUSE: 'bigquery',
        BIGQUERY_DATASET: dataset.datasetId,
        // Query jobs run where the dataset is; BigQuery puts a dataset declared without a location in the US.
        BIGQUERY_LOCATION: dataset.location.apply((location) => location ?? 'US'),
        MAXIMUM_BYTES_BILLED: String(args.maximumBytesBilled),
        PATTERNS_SETTLE_MINUTES: String(args.settings.settleMinutes),
      },
      roles: [
        // Queries and loads are jobs, which belong to a project: jobUser has no narrower scope.
        { resourceName: 'patterns-runs-bigquery-jobs', role: 'roles/bigquery.jobUser', on: 'project' },
        { resourceName: 'patterns-edits-dataset', role: 'roles/bigquery.dataEditor', on: 'dataset', datasetId: dataset.datasetId },
        // Firestore has no IAM narrower than the project.
        { resourceName: 'patterns-uses-firestore', role: 'roles/datastore.user', on: 'project' },
      ],
      uses: args.uses,
    },
    opts,
  );
}
