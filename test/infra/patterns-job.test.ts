import * as gcp from '@pulumi/gcp';
import type * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsFunction } from '../../functions/metrics/function.ts';
import { SCHEDULED } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
import { ScheduledJob } from '../../infra/scheduled-job.ts';
import { readOnlyTables } from '../../functions/warehouse/table-access.ts';
import { TABLE_ACCESS } from '../../functions/registry.ts';
import { heapLimitMiB } from '../../infra/patterns-job.ts';
import {
  grants,
  named,
  objectAt,
  ofType,
  PROJECT,
  PULUMI_PROJECT,
  runProgram,
  serviceAccountMember,
  serviceUrl,
  settled,
  startMocks,
  testArchive,
  testSecret,
  TYPES,
  type Grant,
  type Registered,
} from './run-program.ts';

const PATTERNS_ACCOUNT = `patterns-fn@${PROJECT}.iam.gserviceaccount.com`;
const SCHEDULER_ACCOUNT = `patterns-scheduler@${PROJECT}.iam.gserviceaccount.com`;
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];

// Settings unlike the defaults, so that each must have come from the stack. The sizes keep their defaults.
const STACK = {
  patternsSchedule: '15 4 * * 1-6',
  patternsTimeZone: 'Europe/Amsterdam',
  patternsLogLevel: 'DEBUG',
  patternsSettleMinutes: '20',
  maximumBytesBilled: '5497558138880',
};

/** What a grant is on: a table, the dataset, the secret or the project. */
function onWhat(grant: Grant): unknown {
  if (grant.type === TYPES.tableIam) return `${String(grant.inputs.datasetId)}.${String(grant.inputs.tableId)}`;
  if (grant.type === TYPES.datasetIam) return grant.inputs.datasetId;
  if (grant.type === TYPES.secretIam) return grant.inputs.secretId;
  return grant.inputs.project;
}

/** Resolves an output of the program; the mocks resolve every one. */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

// The program runs once per file (a module is imported once), with the scheduler API slow to enable.
let resources: Registered[];
beforeAll(async () => {
  const config = Object.fromEntries(Object.entries(STACK).map(([key, value]) => [`${PULUMI_PROJECT}:${key}`, value]));
  resources = await runProgram(config, (type, name) => type === TYPES.api && name === 'cloudscheduler-api');
});

const fn = () => named(resources, TYPES.function, 'patterns');
const serviceConfig = () => objectAt(fn().inputs.serviceConfig);
const schedulerJob = () => named(resources, TYPES.schedulerJob, 'patterns');
const httpTarget = () => objectAt(schedulerJob().inputs.httpTarget);

describe('patterns function', () => {
  it('is built from the same archive and build as collect, as a Node 22 function with entry point patterns', () => {
    const collect = objectAt(named(resources, TYPES.function, 'collect').inputs.buildConfig);

    expect(fn().inputs).toMatchObject({ name: 'patterns', project: PROJECT, location: 'europe-west1' });
    expect(fn().inputs.buildConfig).toEqual({ ...collect, entryPoint: 'patterns' });
    expect(collect).toMatchObject({ runtime: 'nodejs22', environmentVariables: { GOOGLE_NODE_RUN_SCRIPTS: '' } });
  });

  it('runs as its own account patterns-fn', () => {
    expect(serviceConfig().serviceAccountEmail).toBe(PATTERNS_ACCOUNT);
    expect(named(resources, TYPES.account, 'patterns-fn').inputs).toMatchObject({ accountId: 'patterns-fn', project: PROJECT });
  });

  it('is told its warehouse, the dataset and its location, the byte cap and the settle time from the stack', () => {
    const dataset = named(resources, TYPES.dataset, 'dataset');

    expect(serviceConfig().environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LOG_LEVEL: 'DEBUG',
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      BIGQUERY_LOCATION: 'EU',
      MAXIMUM_BYTES_BILLED: '5497558138880',
      PATTERNS_SETTLE_MINUTES: '20',
      PATTERNS_SLICE_SHOPPERS: '20000',
      NODE_OPTIONS: '--max-old-space-size=1536',
    });
    expect(dataset.inputs).toMatchObject({ datasetId: 'learning_loop', location: 'EU' });
  });

  it('reads USER_HASH_KEY from the latest version of user-hash-key, and no other secret: it verifies no token', () => {
    expect(serviceConfig().secretEnvironmentVariables).toEqual([
      { key: 'USER_HASH_KEY', projectId: PROJECT, secret: 'user-hash-key', version: 'latest' },
    ]);
    expect(serviceConfig().secretVolumes).toBeUndefined();
    for (const variable of Object.keys(objectAt(serviceConfig().environmentVariables))) {
      expect(variable).not.toMatch(/KEY|SECRET|PASSWORD|CREDENTIAL|TOKEN/i);
    }
  });

  it('runs one run at a time on one instance, with 2 GiB, one vCPU and 30 minutes, scaling to zero', () => {
    expect(serviceConfig()).toMatchObject({
      availableMemory: '2Gi',
      availableCpu: '1',
      maxInstanceRequestConcurrency: 1,
      maxInstanceCount: 1,
      minInstanceCount: 0,
      timeoutSeconds: 1800,
    });
  });
});

describe("the patterns job's heap limit", () => {
  it('is three quarters of the instance memory, in MiB', () => {
    expect(heapLimitMiB('2Gi')).toBe(1536);
    expect(heapLimitMiB('512Mi')).toBe(384);
    expect(heapLimitMiB('4Gi')).toBe(3072);
    expect(() => heapLimitMiB('2G')).toThrow(/not a memory size/);
  });
});

describe('who may touch patterns', () => {
  it('is invocable by no public principal: nothing names patterns together with allUsers or allAuthenticatedUsers', () => {
    const aboutPatterns = resources.filter((r) => r.type !== TYPES.function && JSON.stringify(r.inputs).includes('patterns'));
    const open = aboutPatterns.filter((r) => PUBLIC_MEMBERS.some((member) => JSON.stringify(r.inputs).includes(member)));

    expect(aboutPatterns.length).toBeGreaterThan(0);
    expect(open.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it('may be invoked only by the patterns scheduler account, and by history, which runs it over an import', () => {
    const onPatterns = grants(resources).filter(
      (g) => (g.type.startsWith('gcp:cloudrunv2/') || g.type.startsWith('gcp:cloudfunctionsv2/')) && g.inputs.name === 'patterns',
    );

    expect(onPatterns.map((g) => [g.type, g.role, g.member])).toEqual([
      [TYPES.runServiceIam, 'roles/run.invoker', serviceAccountMember('patterns-scheduler')],
      [TYPES.runServiceIam, 'roles/run.invoker', serviceAccountMember('history-fn')],
    ]);
    expect(onPatterns[0]?.inputs).toMatchObject({ project: PROJECT, location: 'europe-west1' });
  });

  it('gives its account exactly jobUser on the project, rights on the tables it declares alone, datastore.user on the project and the hash key', () => {
    const held = grants(resources)
      .filter((g) => g.member === serviceAccountMember('patterns-fn'))
      .map((g) => ({ type: g.type, role: g.role, on: onWhat(g) }));
    const onTables = [
      ...TABLE_ACCESS.patterns.writes.map((table) => ({
        type: TYPES.tableIam,
        role: 'roles/bigquery.dataEditor',
        on: `learning_loop.${table}`,
      })),
      ...readOnlyTables(TABLE_ACCESS.patterns).map((table) => ({
        type: TYPES.tableIam,
        role: 'roles/bigquery.dataViewer',
        on: `learning_loop.${table}`,
      })),
    ];

    expect(held).toHaveLength(3 + onTables.length);
    expect(held).toEqual(
      expect.arrayContaining([
        { type: TYPES.projectIam, role: 'roles/bigquery.jobUser', on: PROJECT },
        { type: TYPES.projectIam, role: 'roles/datastore.user', on: PROJECT },
        { type: TYPES.secretIam, role: 'roles/secretmanager.secretAccessor', on: 'user-hash-key' },
        ...onTables,
      ]),
    );
  });

  it('lets its account read the hash key and no other secret', () => {
    const onSecrets = grants(resources).filter(
      (g) =>
        g.member === serviceAccountMember('patterns-fn') &&
        (g.type.startsWith('gcp:secretmanager/') || g.role.startsWith('roles/secretmanager.')),
    );

    expect(onSecrets.map((g) => `${String(g.inputs.secretId)} ${g.role}`)).toEqual(['user-hash-key roles/secretmanager.secretAccessor']);
  });

  it('keeps the scheduler account apart from the account the function runs as', () => {
    expect(named(resources, TYPES.account, 'patterns-scheduler').inputs).toMatchObject({
      accountId: 'patterns-scheduler',
      project: PROJECT,
    });
    expect(SCHEDULER_ACCOUNT).not.toBe(serviceConfig().serviceAccountEmail);
  });
});

describe('patterns schedule', () => {
  it("runs on the schedule and in the time zone of the stack, in the functions' region", () => {
    expect(schedulerJob().inputs).toMatchObject({
      name: 'patterns',
      project: PROJECT,
      region: 'europe-west1',
      schedule: '15 4 * * 1-6',
      timeZone: 'Europe/Amsterdam',
    });
  });

  it("posts an empty JSON object to the function's service URL", () => {
    expect(httpTarget()).toMatchObject({
      uri: serviceUrl('patterns'),
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });
    // The API takes the body base64-encoded.
    expect(Buffer.from(String(httpTarget().body), 'base64').toString('utf8')).toBe('{}');
  });

  it("signs each call with an OIDC token of the scheduler account, for the function's URL", () => {
    expect(httpTarget().oidcToken).toEqual({ serviceAccountEmail: SCHEDULER_ACCOUNT, audience: serviceUrl('patterns') });
    expect(httpTarget().oauthToken).toBeUndefined();
  });

  it('waits for a run exactly as long as the function may run, at most the 30 minutes Cloud Scheduler allows', () => {
    expect(schedulerJob().inputs.attemptDeadline).toBe('1800s');
    expect(schedulerJob().inputs.attemptDeadline).toBe(`${String(serviceConfig().timeoutSeconds)}s`);
  });

  it('retries a failed run 3 times, 5 minutes apart and doubling, never more than an hour apart', () => {
    expect(schedulerJob().inputs.retryConfig).toEqual({
      retryCount: 3,
      minBackoffDuration: '300s',
      maxBackoffDuration: '3600s',
      maxDoublings: 3,
    });
  });

  it('is one of the scheduler jobs, exactly one per batch job', () => {
    expect(
      ofType(resources, TYPES.schedulerJob)
        .map((j) => j.name)
        .sort(),
    ).toEqual(SCHEDULED.map((job) => resourceName(job.name)).sort());
    expect(SCHEDULED.map((job) => job.name)).toEqual(expect.arrayContaining(['erasure', 'metrics', 'patterns', 'retention']));
  });

  it('is created, with its function, accounts and invoker, only once the Cloud Scheduler API is enabled', () => {
    const api = named(resources, TYPES.api, 'cloudscheduler-api');
    const job = [
      schedulerJob(),
      fn(),
      named(resources, TYPES.account, 'patterns-fn'),
      named(resources, TYPES.account, 'patterns-scheduler'),
      named(resources, TYPES.runServiceIam, 'patterns-invokable-by-scheduler'),
    ];

    expect(api.inputs.service).toBe('cloudscheduler.googleapis.com');
    for (const resource of job) expect(resource.started, resource.name).toBeGreaterThan(api.created ?? Infinity);
  });

  it('exports the function URL and the scheduler job name', async () => {
    const program = await import('../../infra/index.ts');

    expect(await valueOf(program.patternsUrl)).toBe(serviceUrl('patterns'));
    expect(await valueOf(program.patternsSchedulerJob)).toBe('patterns');
  });
});

describe('order of creation of a scheduled job', () => {
  /** A job on its own, reading one secret, with the resource named `slow` taking a while to create. */
  async function deployWithSlow(slow: string): Promise<Registered[]> {
    const registered = await startMocks({ preview: true, slow: (_type, name) => name === slow });
    const dataset = new gcp.bigquery.Dataset('dataset', { project: PROJECT, datasetId: 'learning_loop' });
    const table = new gcp.bigquery.Table('storage', { project: PROJECT, datasetId: 'learning_loop', tableId: 'job_runs' });
    new ScheduledJob('nightly', {
      project: PROJECT,
      region: 'europe-west1',
      name: 'nightly',
      entryPoint: 'nightly',
      source: testArchive(),
      settings: { memory: '1Gi', cpu: '1', timeoutSeconds: 600, schedule: '0 1 * * *', timeZone: 'Etc/UTC', logLevel: 'INFO' },
      environment: {},
      secrets: [testSecret('NIGHTLY_KEY', 'nightly-key')],
      firestore: 'read',
      // The metrics job's tables, job_runs among them.
      warehouse: { dataset, access: metricsFunction.needs.warehouse, maximumBytesBilled: 2 ** 40 },
      storage: [table],
      description: 'A test job.',
    });
    await settled();
    return registered;
  }

  // An attempt that fails for want of a permission or a table still uses up one of the retries.
  it.each([
    ['nightly-invokable-by-scheduler', 'the right of its scheduler account to invoke it'],
    ['nightly-reads-firestore', "its account's project role"],
    ['nightly-runs-bigquery-jobs', "its account's right to run BigQuery jobs"],
    ['nightly-edits-job-runs', "its account's right to write a table"],
    ['storage', 'what it uses'],
    ['nightly-reads-nightly-key', "its account's right to read its secret"],
  ])('creates the schedule only after %s exists (%s)', async (slow) => {
    const registered = await deployWithSlow(slow);
    const created = registered.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(registered, TYPES.schedulerJob, 'nightly').started).toBeGreaterThan(created ?? Infinity);
  });

  it('deploys the function only once its account may read its secret: a revision that cannot read it is refused', async () => {
    const registered = await deployWithSlow('nightly-reads-nightly-key');
    const created = registered.find((r) => r.name === 'nightly-reads-nightly-key')?.created;

    expect(created).toBeDefined();
    expect(named(registered, TYPES.function, 'nightly').started).toBeGreaterThan(created ?? Infinity);
  });

  it('gives the function each secret as a variable of its latest version, and its account exactly that secret', async () => {
    const registered = await deployWithSlow('none');
    const account = serviceAccountMember('nightly-fn');

    expect(objectAt(named(registered, TYPES.function, 'nightly').inputs.serviceConfig).secretEnvironmentVariables).toEqual([
      { key: 'NIGHTLY_KEY', projectId: PROJECT, secret: 'nightly-key', version: 'latest' },
    ]);
    expect(
      grants(registered)
        .filter((g) => g.member === account && g.type === TYPES.secretIam)
        .map((g) => [g.inputs.secretId, g.role]),
    ).toEqual([['nightly-key', 'roles/secretmanager.secretAccessor']]);
  });

  it('takes its sizes from its settings, and serves one run at a time on one instance', async () => {
    const registered = await deployWithSlow('none');

    expect(named(registered, TYPES.function, 'nightly').inputs.serviceConfig).toMatchObject({
      availableMemory: '1Gi',
      timeoutSeconds: 600,
      maxInstanceRequestConcurrency: 1,
      maxInstanceCount: 1,
      minInstanceCount: 0,
    });
    expect(named(registered, TYPES.schedulerJob, 'nightly').inputs.attemptDeadline).toBe('600s');
  });
});
