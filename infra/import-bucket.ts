import * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';
import { STAGING_PREFIX } from '../functions/adapters/gcp/bigquery-import-staging.ts';

/** Days a history import's staged rows may stay in the bucket, should an import stop before it deletes them. */
export const STAGED_ROWS_DAYS = 7;

/**
 * The bucket history imports read from (operators upload a shop's order history there) and stage their rows in for
 * BigQuery's load jobs (`import-staging/`). Private, with uniform access: only accounts granted on it may read it.
 * An import deletes what it staged once it has merged it; a lifecycle rule deletes what an interrupted one left.
 */
export function importBucket(args: { project: string; region: string }, opts?: pulumi.CustomResourceOptions): gcp.storage.Bucket {
  return new gcp.storage.Bucket(
    'imports',
    {
      project: args.project,
      name: `${args.project}-imports`,
      location: args.region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      lifecycleRules: [{ action: { type: 'Delete' }, condition: { age: STAGED_ROWS_DAYS, matchesPrefixes: [STAGING_PREFIX] } }],
    },
    opts,
  );
}
