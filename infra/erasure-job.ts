import type * as pulumi from '@pulumi/pulumi';
import { ScheduledJob, warehouseJobEnvironment, type WarehouseJobArgs } from './scheduled-job.ts';
import type { SecretVariable } from './secrets.ts';

export type ErasureJobArgs = WarehouseJobArgs & {
  /** `USER_HASH_KEY`: what it keeps of an erased shopper, in `erasure_log` and the request, is the hash of their id. */
  hashKey: SecretVariable;
};

/**
 * The `erasure` job: carries out the pending erasure requests (from shoppers through `users`, from operators through
 * `operators`) across BigQuery and Firestore, verifies that nothing of the shopper is left, and completes them.
 * A request whose rows are still in BigQuery's streaming buffer stays pending for the next run.
 */
export function erasureJob(args: ErasureJobArgs, opts?: pulumi.ComponentResourceOptions): ScheduledJob {
  const { project, dataset } = args;
  return new ScheduledJob(
    'erasure',
    {
      project,
      region: args.region,
      name: 'erasure',
      entryPoint: 'erasure',
      source: args.source,
      settings: args.settings,
      description: 'Erases the shoppers of pending erasure requests from BigQuery and Firestore, and completes the requests.',
      environment: warehouseJobEnvironment(dataset, args.maximumBytesBilled),
      secrets: [args.hashKey],
      // Firestore has no IAM narrower than the project: it updates requests and deletes the shopper's documents.
      roles: [{ resourceName: 'erasure-uses-firestore', role: 'roles/datastore.user' }],
      warehouse: { dataset, access: 'erasure' },
      uses: args.uses,
    },
    opts,
  );
}
