import type * as pulumi from '@pulumi/pulumi';
import { patternsFunction } from '../functions/patterns/function.ts';
import type { PatternsSettings } from './config.ts';

const ENV = patternsFunction.settings.env;

/**
 * What the `patterns` job is told beyond every job: how far behind its start its cut-off lies, how many shoppers it
 * computes together, and the heap its slices are sized against.
 */
export function patternsEnvironment(settings: PatternsSettings): Record<string, pulumi.Input<string>> {
  return {
    [ENV.PATTERNS_SETTLE_MINUTES]: String(settings.settleMinutes),
    [ENV.PATTERNS_SLICE_SHOPPERS]: String(settings.sliceShoppers),
    // Node's own default is a fraction of the machine's memory; the job's slices are sized against this.
    NODE_OPTIONS: `--max-old-space-size=${heapLimitMiB(settings.memory)}`,
  };
}

/** Three quarters of the instance's memory (`512Mi`, `2Gi`) for the JS heap, in MiB: the rest is Node's own and the buffers'. */
export function heapLimitMiB(memory: string): number {
  const size = /^(\d+)(Mi|Gi)$/.exec(memory);
  if (!size) throw new Error(`not a memory size: ${memory}`);
  const mib = Number(size[1]) * (size[2] === 'Gi' ? 1024 : 1);
  return Math.floor((mib * 3) / 4);
}
