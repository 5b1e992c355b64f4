import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOnlyTables } from '../../functions/warehouse/table-access.ts';
import { TABLE_ACCESS } from '../../functions/registry.ts';
import {
  grants,
  named,
  objectAt,
  PROJECT,
  PULUMI_PROJECT,
  runProgram,
  serviceAccountMember,
  serviceUrl,
  TYPES,
  type Grant,
  type Registered,
} from './run-program.ts';

// erasure takes settings unlike its defaults, each of which must have come from the stack; retention keeps every default.
const STACK = {
  erasureSchedule: '*/20 * * * *',
  erasureTimeZone: 'Europe/Dublin',
  erasureLogLevel: 'DEBUG',
  erasureMemory: '1Gi',
  erasureTimeoutSeconds: '900',
  maximumBytesBilled: '5497558138880',
};

/** Each job, and what it is, with the stack above. */
const JOBS = [
  {
    job: 'erasure',
    memory: '1Gi',
    timeoutSeconds: 900,
    schedule: '*/20 * * * *',
    timeZone: 'Europe/Dublin',
    logLevel: 'DEBUG',
    firestoreRole: 'roles/datastore.user',
    secrets: [{ key: 'USER_HASH_KEY', projectId: PROJECT, secret: 'user-hash-key', version: 'latest' }],
  },
  {
    job: 'retention',
    memory: '512Mi',
    timeoutSeconds: 1800,
    schedule: '30 2 * * *',
    timeZone: 'Etc/UTC',
    logLevel: 'INFO',
    firestoreRole: 'roles/datastore.viewer',
    secrets: undefined,
  },
] as const;

const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** What a grant is on: a table, the dataset, the secret, the Cloud Run service or the project. */
function onWhat(grant: Grant): unknown {
  if (grant.type === TYPES.tableIam) return `${String(grant.inputs.datasetId)}.${String(grant.inputs.tableId)}`;
  if (grant.type === TYPES.datasetIam) return grant.inputs.datasetId;
  if (grant.type === TYPES.secretIam) return grant.inputs.secretId;
  if (grant.type === TYPES.runServiceIam) return grant.inputs.name;
  return grant.inputs.project;
}

// The program runs once per file (a module is imported once).
let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram(Object.fromEntries(Object.entries(STACK).map(([key, value]) => [`${PULUMI_PROJECT}:${key}`, value])));
});

const serviceConfig = (job: string) => objectAt(named(resources, TYPES.function, job).inputs.serviceConfig);
const schedulerJob = (job: string) => named(resources, TYPES.schedulerJob, job);
const httpTarget = (job: string) => objectAt(schedulerJob(job).inputs.httpTarget);
const heldBy = (accountId: string) =>
  grants(resources)
    .filter((g) => g.member === serviceAccountMember(accountId))
    .map((g) => `${g.type} ${String(onWhat(g))}: ${g.role}`)
    .sort();

describe.each(JOBS)('the $job job', ({ job, memory, timeoutSeconds, schedule, timeZone, logLevel, firestoreRole, secrets }) => {
  it('is a Node 22 function built from the same archive and build as collect, with its own entry point', () => {
    const collect = objectAt(named(resources, TYPES.function, 'collect').inputs.buildConfig);

    expect(named(resources, TYPES.function, job).inputs).toMatchObject({ name: job, project: PROJECT, location: 'europe-west1' });
    expect(named(resources, TYPES.function, job).inputs.buildConfig).toEqual({ ...collect, entryPoint: job });
  });

  it(`runs as its own account ${job}-fn`, () => {
    expect(serviceConfig(job).serviceAccountEmail).toBe(`${job}-fn@${PROJECT}.iam.gserviceaccount.com`);
    expect(named(resources, TYPES.account, `${job}-fn`).inputs).toMatchObject({ accountId: `${job}-fn`, project: PROJECT });
  });

  it('is told the warehouse, the dataset and its location, the byte cap and its log level', () => {
    expect(serviceConfig(job).environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LOG_LEVEL: logLevel,
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      BIGQUERY_LOCATION: 'EU',
      MAXIMUM_BYTES_BILLED: '5497558138880',
    });
  });

  it(secrets ? 'reads USER_HASH_KEY from the latest version of user-hash-key, and no other secret' : 'reads no secret', () => {
    expect(serviceConfig(job).secretEnvironmentVariables).toEqual(secrets);
    expect(serviceConfig(job).secretVolumes).toBeUndefined();
  });

  it(`runs one run at a time on one instance, with ${memory}, one vCPU and ${timeoutSeconds} s, scaling to zero`, () => {
    expect(serviceConfig(job)).toMatchObject({
      availableMemory: memory,
      availableCpu: '1',
      maxInstanceRequestConcurrency: 1,
      maxInstanceCount: 1,
      minInstanceCount: 0,
      timeoutSeconds,
    });
  });

  it('gives its account jobUser on the project, rights on the tables it declares alone, its Firestore role, and the hash key if it hashes ids', () => {
    const access = TABLE_ACCESS[job];
    expect(heldBy(`${job}-fn`)).toEqual(
      [
        ...access.writes.map((table) => `${TYPES.tableIam} learning_loop.${table}: roles/bigquery.dataEditor`),
        ...readOnlyTables(access).map((table) => `${TYPES.tableIam} learning_loop.${table}: roles/bigquery.dataViewer`),
        `${TYPES.projectIam} ${PROJECT}: roles/bigquery.jobUser`,
        `${TYPES.projectIam} ${PROJECT}: ${firestoreRole}`,
        ...(secrets ? [`${TYPES.secretIam} user-hash-key: roles/secretmanager.secretAccessor`] : []),
      ].sort(),
    );
  });

  it(`may be invoked only by ${job}-scheduler, which may invoke nothing else`, () => {
    const onService = grants(resources).filter((g) => g.type.startsWith('gcp:cloudrunv2/') && g.inputs.name === job);

    expect(onService.map((g) => [g.role, g.member])).toEqual([['roles/run.invoker', serviceAccountMember(`${job}-scheduler`)]]);
    expect(heldBy(`${job}-scheduler`)).toEqual([`${TYPES.runServiceIam} ${job}: roles/run.invoker`]);
    expect(named(resources, TYPES.account, `${job}-scheduler`).inputs).toMatchObject({ accountId: `${job}-scheduler`, project: PROJECT });
  });

  it('is named together with no public principal', () => {
    const about = resources.filter((r) => r.type !== TYPES.function && JSON.stringify(r.inputs).includes(`"${job}"`));

    expect(about.length).toBeGreaterThan(0);
    expect(about.filter((r) => PUBLIC_MEMBERS.some((m) => JSON.stringify(r.inputs).includes(m))).map((r) => r.name)).toEqual([]);
  });

  it(`runs on the schedule ${schedule} in ${timeZone}, in the functions' region`, () => {
    expect(schedulerJob(job).inputs).toMatchObject({ name: job, project: PROJECT, region: 'europe-west1', schedule, timeZone });
  });

  it("posts {} to the function's service URL with an OIDC token of its own scheduler account, for that URL", () => {
    expect(httpTarget(job)).toMatchObject({ uri: serviceUrl(job), httpMethod: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(Buffer.from(String(httpTarget(job).body), 'base64').toString('utf8')).toBe('{}');
    expect(httpTarget(job).oidcToken).toEqual({
      serviceAccountEmail: `${job}-scheduler@${PROJECT}.iam.gserviceaccount.com`,
      audience: serviceUrl(job),
    });
    expect(httpTarget(job).oauthToken).toBeUndefined();
  });

  it('waits for a run as long as the function may run, and retries a failed one 3 times from 5 minutes on', () => {
    expect(schedulerJob(job).inputs.attemptDeadline).toBe(`${timeoutSeconds}s`);
    expect(schedulerJob(job).inputs.retryConfig).toEqual({
      retryCount: 3,
      minBackoffDuration: '300s',
      maxBackoffDuration: '3600s',
      maxDoublings: 3,
    });
  });

  it(`exports the scheduler job as ${job}SchedulerJob`, async () => {
    const program: Record<string, unknown> = await import('../../infra/index.ts');
    const output = program[`${job}SchedulerJob`];
    if (!pulumi.Output.isInstance(output)) throw new Error(`${job}SchedulerJob is not an output of the program`);

    expect(await valueOf(output)).toBe(job);
  });
});
