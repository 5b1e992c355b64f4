import { collectFunction } from './collect/function.ts';
import { erasureFunction } from './erasure/function.ts';
import { historyFunction } from './history/function.ts';
import { ingestFunction } from './ingest/function.ts';
import { storeRejectedFunction } from './ingest/store-rejected-function.ts';
import { metricsFunction } from './metrics/function.ts';
import { operatorsFunction } from './operators/function.ts';
import { patternsFunction } from './patterns/function.ts';
import { retentionFunction } from './retention/function.ts';
import { usersFunction } from './users/function.ts';
import { weightsFunction } from './weights/function.ts';
import type { TableAccess } from './warehouse/table-access.ts';

/**
 * Every function the loop deploys, each as it describes itself (functions/descriptor.ts). The entry file registers
 * them, the local stack serves and schedules them, `npm run job` runs the scheduled ones, and infra/ deploys each
 * with what it needs: a new function is its folder and a line here.
 */
export const FUNCTIONS = [
  collectFunction,
  ingestFunction,
  storeRejectedFunction,
  usersFunction,
  operatorsFunction,
  patternsFunction,
  erasureFunction,
  retentionFunction,
  metricsFunction,
  historyFunction,
  weightsFunction,
] as const;

export type RegisteredFunction = (typeof FUNCTIONS)[number];
export type FunctionName = RegisteredFunction['name'];

/** The functions shoppers call, with their token. */
export type ShopperFacing = Extract<RegisteredFunction, { trigger: { kind: 'http'; callers: 'shoppers' } }>;
/** The functions operators call, authenticated by IAM. */
export type OperatorFacing = Extract<RegisteredFunction, { trigger: { kind: 'http'; callers: 'operators' } }>;
/** The functions Pub/Sub pushes messages to. */
export type Pushed = Extract<RegisteredFunction, { trigger: { kind: 'pubsub' } }>;
/** The functions Cloud Scheduler starts: the batch jobs. */
export type Scheduled = Extract<RegisteredFunction, { trigger: { kind: 'schedule' } }>;

export const SHOPPER_FACING: readonly ShopperFacing[] = FUNCTIONS.filter(
  (fn): fn is ShopperFacing => fn.trigger.kind === 'http' && fn.trigger.callers === 'shoppers',
);
export const OPERATOR_FACING: readonly OperatorFacing[] = FUNCTIONS.filter(
  (fn): fn is OperatorFacing => fn.trigger.kind === 'http' && fn.trigger.callers === 'operators',
);
export const PUSHED: readonly Pushed[] = FUNCTIONS.filter((fn): fn is Pushed => fn.trigger.kind === 'pubsub');
export const SCHEDULED: readonly Scheduled[] = FUNCTIONS.filter((fn): fn is Scheduled => fn.trigger.kind === 'schedule');

/** `make` of each function, by the function's name. */
export function byName<F extends { name: string }, V>(functions: readonly F[], make: (fn: F) => V): Record<F['name'], V> {
  // One entry per function, keyed by its name: what the record's type says.
  return Object.fromEntries(functions.map((fn) => [fn.name, make(fn)])) as Record<F['name'], V>;
}

/** Every environment variable a function reads, by name: the documented settings are checked against it. */
export const SETTING_NAMES: readonly string[] = [...new Set(FUNCTIONS.flatMap((fn) => Object.keys(fn.settings.schema.shape)))].sort();

/** A function that declares what it touches in the warehouse. */
export type WarehouseFunction = Extract<RegisteredFunction, { needs: { warehouse: TableAccess } }>['name'];

/**
 * What each function that touches the warehouse declares it touches (`needs.warehouse`), by name: infra/ grants each
 * function's account exactly these tables, and test/warehouse/table-access.test.ts runs each function to check them.
 */
export const TABLE_ACCESS = Object.fromEntries(
  FUNCTIONS.flatMap((fn): [string, TableAccess][] => ('warehouse' in fn.needs ? [[fn.name, fn.needs.warehouse]] : [])),
) as Record<WarehouseFunction, TableAccess>;
