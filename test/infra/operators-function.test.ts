import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { operatorsFunction } from '../../functions/operators/function.ts';
import { OperatorsFunction } from '../../infra/operators-function.ts';
import { OPERATOR_FACING } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
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
  type Registered,
} from './run-program.ts';

const OPERATORS = ['group:privacy-ops@example.com', 'user:dpo@example.com'];
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

// The program runs once per file (a module is imported once), with two operators named in the stack.
let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram({ [`${PULUMI_PROJECT}:operators`]: OPERATORS.join(', ') });
});

const fn = () => named(resources, TYPES.function, 'operators');
const serviceConfig = () => objectAt(fn().inputs.serviceConfig);
/** Every grant on the Cloud Run service (or the function) named `operators`. */
const onOperators = (registered: Registered[]) =>
  grants(registered).filter(
    (g) => (g.type.startsWith('gcp:cloudrunv2/') || g.type.startsWith('gcp:cloudfunctionsv2/')) && g.inputs.name === 'operators',
  );

describe('operators function', () => {
  it('is a Node 22 function built from the same archive and build as collect, with entry point operators', () => {
    const collect = objectAt(named(resources, TYPES.function, 'collect').inputs.buildConfig);

    expect(fn().inputs).toMatchObject({ name: 'operators', project: PROJECT, location: 'europe-west1' });
    expect(fn().inputs.buildConfig).toEqual({ ...collect, entryPoint: 'operators' });
    expect(collect).toMatchObject({ runtime: 'nodejs22' });
  });

  it('runs as its own account operators-fn', () => {
    expect(serviceConfig().serviceAccountEmail).toBe(`operators-fn@${PROJECT}.iam.gserviceaccount.com`);
    expect(named(resources, TYPES.account, 'operators-fn').inputs).toMatchObject({ accountId: 'operators-fn', project: PROJECT });
  });

  it('is told its project, its log level and the warehouse its dashboard reads, and nothing of tokens or topics', () => {
    expect(serviceConfig().environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LOG_LEVEL: 'INFO',
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      BIGQUERY_LOCATION: 'EU',
      MAXIMUM_BYTES_BILLED: String(1024 ** 4),
    });
  });

  it('reads USER_HASH_KEY from the latest version of user-hash-key, and no token key: operators carry no shopper token', () => {
    expect(serviceConfig().secretEnvironmentVariables).toEqual([
      { key: 'USER_HASH_KEY', projectId: PROJECT, secret: 'user-hash-key', version: 'latest' },
    ]);
  });

  it('serves 10 requests at once on one vCPU and 256 MiB, on at most 2 instances, for at most 60 s, scaling to zero', () => {
    expect(serviceConfig()).toMatchObject({
      availableMemory: '256Mi',
      availableCpu: '1',
      maxInstanceRequestConcurrency: 10,
      maxInstanceCount: 2,
      minInstanceCount: 0,
      timeoutSeconds: 60,
    });
  });

  it('exports its service URL as operatorsUrl', async () => {
    const program = await import('../../infra/index.ts');

    expect(await valueOf(program.operatorsUrl)).toBe(serviceUrl('operators'));
  });
});

describe('who may call operators', () => {
  it('may be invoked by exactly the members the stack names', () => {
    expect(
      onOperators(resources)
        .map((g) => [g.type, g.role, g.member])
        .sort(),
    ).toEqual(OPERATORS.map((member) => [TYPES.runServiceIam, 'roles/run.invoker', member]).sort());
    for (const grant of onOperators(resources)) expect(grant.inputs).toMatchObject({ project: PROJECT, location: 'europe-west1' });
  });

  it('is named together with no public principal', () => {
    const about = resources.filter((r) => r.type !== TYPES.function && JSON.stringify(r.inputs).includes('operators'));

    expect(about.length).toBeGreaterThan(0);
    expect(about.filter((r) => PUBLIC_MEMBERS.some((m) => JSON.stringify(r.inputs).includes(m))).map((r) => r.name)).toEqual([]);
  });

  it('gives the operators nothing but the right to invoke it, and every other function operators call', () => {
    for (const member of OPERATORS) {
      expect(
        grants(resources)
          .filter((g) => g.member === member)
          .map((g) => `${g.type} ${String(g.inputs.name)} ${g.role}`),
      ).toEqual(OPERATOR_FACING.map((fn) => `${TYPES.runServiceIam} ${resourceName(fn.name)} roles/run.invoker`));
    }
  });

  it('lets its account use Firestore, read the hash key, and run queries that read the four tables its dashboard charts: nothing more', () => {
    const scope = (g: ReturnType<typeof grants>[number]) =>
      g.type === TYPES.secretIam
        ? `secret ${String(g.inputs.secretId)}`
        : g.type === TYPES.tableIam
          ? `table ${String(g.inputs.datasetId)}.${String(g.inputs.tableId)}`
          : `project ${String(g.inputs.project)}`;
    const held = grants(resources)
      .filter((g) => g.member === serviceAccountMember('operators-fn'))
      .map((g) => `${scope(g)}: ${g.role}`)
      .sort();

    expect(held).toEqual([
      `project ${PROJECT}: roles/bigquery.jobUser`,
      `project ${PROJECT}: roles/datastore.user`,
      'secret user-hash-key: roles/secretmanager.secretAccessor',
      'table learning_loop.events: roles/bigquery.dataViewer',
      'table learning_loop.job_runs: roles/bigquery.dataViewer',
      'table learning_loop.learning_metrics: roles/bigquery.dataViewer',
      'table learning_loop.rejected_events: roles/bigquery.dataViewer',
    ]);
  });
});

describe('operators on its own', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The function alone, invokable by `invokers`, with the resource named `slow` taking a while to create. */
  async function deploy(invokers: string[], slow = 'none'): Promise<Registered[]> {
    const registered = await startMocks({ preview: true, slow: (_type, name) => name === slow });
    const dataset = new gcp.bigquery.Dataset('dataset', { project: PROJECT, datasetId: 'shop_loop', location: 'europe-west3' });
    new OperatorsFunction('operators', {
      project: PROJECT,
      region: 'europe-west1',
      name: 'operators',
      entryPoint: 'operators',
      settings: { ...operatorsFunction.sizing, logLevel: 'WARNING', invokers },
      source: testArchive(),
      secrets: [testSecret('USER_HASH_KEY', 'user-hash-key')],
      firestore: 'write',
      warehouse: { dataset, access: operatorsFunction.needs.warehouse, maximumBytesBilled: 10 * 2 ** 30 },
    });
    await settled();
    return registered;
  }

  it('may be invoked by nobody when no operator is named, and says so', async () => {
    const warn = vi.spyOn(pulumi.log, 'warn');
    const registered = await deploy([]);

    expect(named(registered, TYPES.function, 'operators').inputs.name).toBe('operators');
    expect(onOperators(registered)).toEqual([]);
    expect(ofType(registered, TYPES.runServiceIam)).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/Nobody may invoke the operators function: set the stack key operators/),
      expect.anything(),
    );
  });

  it('says nothing when operators are named', async () => {
    const warn = vi.spyOn(pulumi.log, 'warn');
    const registered = await deploy(['domain:example.com']);

    expect(onOperators(registered).map((g) => g.member)).toEqual(['domain:example.com']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('passes its log level on as LOG_LEVEL', async () => {
    const registered = await deploy([]);

    expect(objectAt(objectAt(named(registered, TYPES.function, 'operators').inputs.serviceConfig).environmentVariables)).toMatchObject({
      LOG_LEVEL: 'WARNING',
    });
  });

  it('reads the dataset it is given, where it is, with the bytes a query may bill', async () => {
    const registered = await deploy([]);

    expect(objectAt(objectAt(named(registered, TYPES.function, 'operators').inputs.serviceConfig).environmentVariables)).toMatchObject({
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'shop_loop',
      BIGQUERY_LOCATION: 'europe-west3',
      MAXIMUM_BYTES_BILLED: String(10 * 2 ** 30),
    });
    expect(named(registered, TYPES.tableIam, 'operators-reads-job-runs').inputs).toMatchObject({
      project: PROJECT,
      datasetId: 'shop_loop',
      tableId: 'job_runs',
      role: 'roles/bigquery.dataViewer',
    });
  });

  // The first dashboard after a deployment must not fail for want of a grant still being created.
  it.each([
    ['operators-reads-user-hash-key', 'its account may read the hash key: a revision that cannot read its secret is refused'],
    ['operators-runs-bigquery-jobs', 'its account may run BigQuery jobs'],
    ['operators-reads-job-runs', 'its account may read a table the dashboard charts'],
  ])('is deployed only once %s exists: %s', async (slow) => {
    const registered = await deploy([], slow);
    const created = registered.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(registered, TYPES.function, 'operators').started).toBeGreaterThan(created ?? Infinity);
  });
});
