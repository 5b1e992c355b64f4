import type * as pulumi from '@pulumi/pulumi';
import { ScheduledJob, warehouseJobEnvironment, type WarehouseJobArgs } from './scheduled-job.ts';

export type RetentionJobArgs = WarehouseJobArgs;

/**
 * The `retention` job: deletes each shopper's rows older than their `retention_days`, for the shoppers whose
 * setting differs from the default (loaded into `shopper_retention_staging`). It only reads Firestore (`privacy`)
 * and knows shoppers by their ids alone, so it reads no secret.
 */
export function retentionJob(args: RetentionJobArgs, opts?: pulumi.ComponentResourceOptions): ScheduledJob {
  const { project, dataset } = args;
  return new ScheduledJob(
    'retention',
    {
      project,
      region: args.region,
      name: 'retention',
      entryPoint: 'retention',
      source: args.source,
      settings: args.settings,
      description: 'Deletes the rows each shopper\'s retention_days no longer allows.',
      environment: warehouseJobEnvironment(dataset, args.maximumBytesBilled),
      // Firestore has no IAM narrower than the project; it only reads privacy settings.
      roles: [{ resourceName: 'retention-reads-firestore', role: 'roles/datastore.viewer' }],
      warehouse: { dataset, access: 'retention' },
      uses: args.uses,
    },
    opts,
  );
}
