import type * as pulumi from '@pulumi/pulumi';
import type { PatternsSettings } from './config.ts';
import { ScheduledJob, warehouseJobEnvironment, type WarehouseJobArgs } from './scheduled-job.ts';
import type { SecretVariable } from './secrets.ts';

export type PatternsJobArgs = WarehouseJobArgs<PatternsSettings> & {
  /** `USER_HASH_KEY`: an erased shopper's settings are kept in a tombstone found by the hash of their id. */
  hashKey: SecretVariable;
};

/**
 * The `patterns` job: the pattern queries of `sql/` over the shoppers with new events, merged into
 * `user_patterns` and published to `preferences/{userId}.patterns`. It reads each shopper's privacy settings,
 * falling back to an erased shopper's tombstone, so it reads the hash key; it verifies no shopper token.
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
        ...warehouseJobEnvironment(dataset, args.maximumBytesBilled),
        PATTERNS_SETTLE_MINUTES: String(args.settings.settleMinutes),
        PATTERNS_SLICE_SHOPPERS: String(args.settings.sliceShoppers),
        // Node's own default is a fraction of the machine's memory; the job's slices are sized against this.
        NODE_OPTIONS: `--max-old-space-size=${heapLimitMiB(args.settings.memory)}`,
      },
      secrets: [args.hashKey],
      // Firestore has no IAM narrower than the project.
      roles: [{ resourceName: 'patterns-uses-firestore', role: 'roles/datastore.user' }],
      warehouse: { dataset, access: 'patterns' },
      uses: args.uses,
    },
    opts,
  );
}

/** Three quarters of the instance's memory (`512Mi`, `2Gi`) for the JS heap, in MiB: the rest is Node's own and the buffers'. */
export function heapLimitMiB(memory: string): number {
  const size = /^(\d+)(Mi|Gi)$/.exec(memory);
  if (!size) throw new Error(`not a memory size: ${memory}`);
  const mib = Number(size[1]) * (size[2] === 'Gi' ? 1024 : 1);
  return Math.floor((mib * 3) / 4);
}
