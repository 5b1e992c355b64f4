import type * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';
import { collectFunction } from '../functions/collect/function.ts';
import type { Needs, SecretName } from '../functions/descriptor.ts';
import { FUNCTION_TOPICS, TOPICS, type Topic } from '../functions/events/topics.ts';
import { ingestFunction } from '../functions/ingest/function.ts';
import {
  byName,
  OPERATOR_FACING,
  PUSHED,
  SCHEDULED,
  SHOPPER_FACING,
  type FunctionName,
  type RegisteredFunction,
  type Scheduled,
} from '../functions/registry.ts';
import type { InfraConfig } from './config.ts';
import type { FunctionArgs } from './function-account.ts';
import { learningMetrics } from './metrics-job.ts';
import type { FunctionArchive } from './node-function.ts';
import { OperatorsFunction } from './operators-function.ts';
import { patternsEnvironment } from './patterns-job.ts';
import { PushDelivery, PushedFunction } from './pushed-function.ts';
import { ScheduledJob } from './scheduled-job.ts';
import type { SecretVariable } from './secrets.ts';
import { ShopperFunction } from './shopper-function.ts';

// Every function of the registry (functions/registry.ts), deployed as a Pulumi component of its kind of trigger (one
// component per function, as Pulumi's guide to components has it: https://www.pulumi.com/docs/iac/concepts/components/),
// with the grants and environment its descriptor's needs call for: a new function needs no change here.

/** What the rest of the program provides the functions with. */
export type FunctionPlatform = {
  project: string;
  region: string;
  config: InfraConfig;
  source: FunctionArchive;
  topics: Record<Topic, gcp.pubsub.Topic>;
  deadLetter: gcp.pubsub.Topic;
  secrets: Record<SecretName, SecretVariable>;
  dataset: gcp.bigquery.Dataset;
  /** The warehouse's tables and the Firestore database: nothing is granted on a table, pushed or scheduled before they exist. */
  storage: pulumi.Resource[];
  /** The bucket of history imports, for the functions whose needs name it. */
  importBucket: gcp.storage.Bucket;
};

/** A function other functions may call: its Cloud Run service and URL. */
type Callee = { fn: { name: pulumi.Output<string> }; url: pulumi.Output<string> };

/** What a function is told that only it is told: settings of the stack beyond those of its kind. */
const OWN_ENVIRONMENT: Partial<Record<FunctionName, (config: InfraConfig) => Record<string, pulumi.Input<string>>>> = {
  collect: (config) => ({ [collectFunction.settings.env.PRIVACY_CACHE_SECONDS]: String(config.collect.privacyCacheSeconds) }),
  ingest: (config) => ({ [ingestFunction.settings.env.MARKER_TTL_DAYS]: String(config.ingest.markerTtlDays) }),
  patterns: (config) => patternsEnvironment(config.patterns),
};

/** What a job has beside its function and schedule. */
const JOB_EXTRAS: Partial<Record<Scheduled['name'], (project: string, job: ScheduledJob) => void>> = {
  metrics: learningMetrics,
};

const INGEST_FUNCTIONS = { type: 'grocery:functions:IngestFunctions', name: 'ingest' };

/**
 * Where each function's resources were created before every function had a component of its own: each keeps its
 * former URN as an alias, so that Pulumi moves it rather than replacing it. The jobs and operators kept their components.
 */
const FORMER_PARENTS: Partial<Record<FunctionName, { type: string; name: string }>> = {
  collect: { type: 'grocery:functions:CollectFunction', name: 'collect' },
  users: { type: 'grocery:functions:UsersFunction', name: 'users' },
  ingest: INGEST_FUNCTIONS,
  storeRejected: INGEST_FUNCTIONS,
};

/** `storeRejected` → `store-rejected`: a function's name as its resources and its Cloud Run service are named. */
export function resourceName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** What every function's component is given, from the function's descriptor; `callees` are the functions deployed before it. */
function functionArgs(fn: RegisteredFunction, platform: FunctionPlatform, callees: Partial<Record<string, Callee>> = {}): FunctionArgs {
  const { project, region, config } = platform;
  const needs: Needs = fn.needs;
  const calls = Object.entries(needs.calls ?? {}).map(([callee, variable]) => {
    const deployed = callees[callee];
    // A function is deployed after the functions it calls (deployFunctions): a call to one that is not is a mistake here.
    if (!deployed) throw new Error(`${fn.name} calls ${callee}, which is not deployed before it`);
    return { name: resourceName(callee), variable, deployed };
  });
  const published = FUNCTION_TOPICS.flatMap((topic) => {
    const variable = needs.publishes[topic];
    return variable ? [{ topic, variable }] : [];
  });
  return {
    project,
    region,
    name: resourceName(fn.name),
    entryPoint: fn.name,
    source: platform.source,
    secrets: needs.secrets.map((secret) => platform.secrets[secret]),
    firestore: needs.firestore,
    warehouse: needs.warehouse && { dataset: platform.dataset, access: needs.warehouse, maximumBytesBilled: config.maximumBytesBilled },
    publishes: published.map(({ topic }) => ({ name: TOPICS[topic], topic: platform.topics[topic] })),
    environment: {
      ...Object.fromEntries(published.map(({ topic, variable }) => [variable, platform.topics[topic].name])),
      ...Object.fromEntries(calls.map(({ variable, deployed }) => [variable, deployed.url])),
      ...(needs.importBucket ? { [needs.importBucket]: platform.importBucket.name } : {}),
      ...OWN_ENVIRONMENT[fn.name]?.(config),
    },
    calls: calls.map(({ name, deployed }) => ({ name, service: deployed.fn.name })),
    ...(needs.importBucket ? { importBucket: platform.importBucket } : {}),
    storage: platform.storage,
    formerParent: FORMER_PARENTS[fn.name],
  };
}

/** Every function of the registry, deployed, by its name. */
export function deployFunctions(platform: FunctionPlatform, opts?: pulumi.ComponentResourceOptions) {
  const { project, config } = platform;
  const delivery = new PushDelivery('pubsub-push', { project, deadLetter: platform.deadLetter, formerParent: INGEST_FUNCTIONS }, opts);
  const jobs = byName(SCHEDULED, (fn) => {
    const job = new ScheduledJob(
      resourceName(fn.name),
      { ...functionArgs(fn, platform), settings: config[fn.name], description: fn.summary },
      opts,
    );
    JOB_EXTRAS[fn.name]?.(project, job);
    return job;
  });
  return {
    ...byName(
      SHOPPER_FACING,
      (fn) =>
        new ShopperFunction(resourceName(fn.name), { ...functionArgs(fn, platform), settings: config[fn.name], token: config.token }, opts),
    ),
    ...byName(
      PUSHED,
      (fn) =>
        new PushedFunction(
          resourceName(fn.name),
          {
            ...functionArgs(fn, platform),
            sizing: config[fn.name],
            topic: platform.topics[fn.trigger.topic],
            subscription: fn.trigger.subscription,
            delivery,
            deadLetter: platform.deadLetter,
            retention: config.messageRetention,
          },
          opts,
        ),
    ),
    ...jobs,
    // After the jobs: an operators' function may call one (`history` runs `patterns`).
    ...byName(
      OPERATOR_FACING,
      (fn) => new OperatorsFunction(resourceName(fn.name), { ...functionArgs(fn, platform, jobs), settings: config[fn.name] }, opts),
    ),
  };
}
