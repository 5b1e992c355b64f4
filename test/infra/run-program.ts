import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { loadConfig } from '../../infra/config.ts';
import { deployFunctions } from '../../infra/functions.ts';
import type { FunctionArchive } from '../../infra/node-function.ts';
import type { SecretVariable } from '../../infra/secrets.ts';

/** A resource the program registered, with the inputs it was given. */
export type Registered = {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** When its registration began, and when it was created, on one counter all resources share. */
  started: number;
  created?: number;
};

export const PROJECT = 'demo-prod';
export const PROJECT_NUMBER = '123456789012';
export const PULUMI_PROJECT = 'grocery-learning-loop';

export const TYPES = {
  api: 'gcp:projects/service:Service',
  account: 'gcp:serviceaccount/account:Account',
  alertPolicy: 'gcp:monitoring/alertPolicy:AlertPolicy',
  bucket: 'gcp:storage/bucket:Bucket',
  bucketIam: 'gcp:storage/bucketIAMMember:BucketIAMMember',
  bucketObject: 'gcp:storage/bucketObject:BucketObject',
  dataset: 'gcp:bigquery/dataset:Dataset',
  dashboard: 'gcp:monitoring/dashboard:Dashboard',
  datasetIam: 'gcp:bigquery/datasetIamMember:DatasetIamMember',
  firestoreDatabase: 'gcp:firestore/database:Database',
  firestoreField: 'gcp:firestore/field:Field',
  function: 'gcp:cloudfunctionsv2/function:Function',
  logMetric: 'gcp:logging/metric:Metric',
  notificationChannel: 'gcp:monitoring/notificationChannel:NotificationChannel',
  projectIam: 'gcp:projects/iAMMember:IAMMember',
  randomPassword: 'random:index/randomPassword:RandomPassword',
  repository: 'gcp:artifactregistry/repository:Repository',
  repositoryIam: 'gcp:artifactregistry/repositoryIamMember:RepositoryIamMember',
  runServiceIam: 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember',
  schedulerJob: 'gcp:cloudscheduler/job:Job',
  secret: 'gcp:secretmanager/secret:Secret',
  secretIam: 'gcp:secretmanager/secretIamMember:SecretIamMember',
  secretVersion: 'gcp:secretmanager/secretVersion:SecretVersion',
  serviceAccountIam: 'gcp:serviceaccount/iAMMember:IAMMember',
  subscription: 'gcp:pubsub/subscription:Subscription',
  subscriptionIam: 'gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember',
  table: 'gcp:bigquery/table:Table',
  tableIam: 'gcp:bigquery/iamMember:IamMember',
  topic: 'gcp:pubsub/topic:Topic',
  topicIam: 'gcp:pubsub/topicIAMMember:TopicIAMMember',
} as const;

/** The member a service account of the program is granted as. */
export function serviceAccountMember(accountId: string): string {
  return `serviceAccount:${accountId}@${PROJECT}.iam.gserviceaccount.com`;
}

/** The Cloud Run URL the mocks give a gen2 function's service (the real one ends in a hash and region code). */
export function serviceUrl(functionName: string): string {
  return `https://${functionName}-5xq7kzq3ma-ew.a.run.app`;
}

/** What the mocks report back once a resource is "created": its inputs plus the outputs later code reads. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state = { ...inputs, name: inputs.name ?? name };
  switch (type) {
    case TYPES.account: {
      const email = `${String(inputs.accountId)}@${PROJECT}.iam.gserviceaccount.com`;
      return { ...state, email, member: `serviceAccount:${email}`, name: `projects/${PROJECT}/serviceAccounts/${email}` };
    }
    case TYPES.function: {
      const serviceConfig = { ...objectAt(inputs.serviceConfig), uri: serviceUrl(state.name as string) };
      return { ...state, serviceConfig, url: `https://${String(inputs.location)}-${PROJECT}.cloudfunctions.net/${state.name as string}` };
    }
    case TYPES.randomPassword:
      // What random.RandomPassword makes, of the length asked for; the provider marks `result` secret.
      return { ...state, result: 'g'.repeat(Number(inputs.length)) };
    case TYPES.notificationChannel:
      // The channel's id is Cloud Monitoring's; alert policies name the channel by this resource name.
      return { ...state, name: `projects/${PROJECT}/notificationChannels/${name}` };
    default:
      return state;
  }
}

/** Ids as the provider reports them where the program passes an id on (a dead-letter topic is named by its id). */
function mockId(type: string, name: string, inputs: Record<string, unknown>): string {
  return type === TYPES.topic ? `projects/${PROJECT}/topics/${(inputs.name as string | undefined) ?? name}` : `${name}_id`;
}

/** Data sources the program reads. */
function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (token === 'gcp:organizations/getProject:getProject') return { ...inputs, projectId: PROJECT, number: PROJECT_NUMBER };
  return inputs;
}

export type MockOptions = {
  /** Run as `pulumi preview` would. */
  preview: boolean;
  config?: Record<string, string>;
  /** Resources whose creation takes a while, so that what waits for them shows in the order of creation. */
  slow?: (type: string, name: string) => boolean;
};

/** Sets Pulumi mocks that record every resource registered from now on, and the stack config. */
export async function startMocks(options: MockOptions): Promise<Registered[]> {
  const registered: Registered[] = [];
  let clock = 0;
  pulumi.runtime.setAllConfig({ 'gcp:project': PROJECT, ...options.config });
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        const inputs: Record<string, unknown> = args.inputs;
        const entry: Registered = { type: args.type, name: args.name, inputs, started: ++clock };
        registered.push(entry);
        if (options.slow?.(args.type, args.name)) await new Promise((resolve) => setTimeout(resolve, 50));
        entry.created = ++clock;
        return { id: mockId(args.type, args.name, inputs), state: mockState(args.type, args.name, inputs) };
      },
      call: (args) => {
        const inputs: Record<string, unknown> = args.inputs;
        return mockCall(args.token, inputs);
      },
    },
    PULUMI_PROJECT,
    'test',
    options.preview,
  );
  return registered;
}

/** Resolves once no registration is outstanding: registrations wait on each other's outputs. */
export function settled(): Promise<void> {
  return pulumi.runtime.disconnect();
}

/**
 * Runs `infra/index.ts` as a preview (tests build no `dist/`) and returns every resource it
 * registered. The mocks must be in place before the program is imported.
 */
export async function runProgram(config: Record<string, string> = {}, slow?: MockOptions['slow']): Promise<Registered[]> {
  const registered = await startMocks({ preview: true, config, slow });
  await import('../../infra/index.ts');
  await settled();
  return registered;
}

/**
 * Every function of the registry on its own (`deployFunctions`, as the program calls it), with what the rest of the
 * program would give it made here: the topics, both keys, the dataset and one table (`storage`), the import bucket, under the stack
 * config `config`. The resource named `slow` takes a while to create.
 */
export async function deployFunctionsAlone(options: { config?: Record<string, string>; slow?: string } = {}): Promise<Registered[]> {
  const config = Object.fromEntries(Object.entries(options.config ?? {}).map(([key, value]) => [`${PULUMI_PROJECT}:${key}`, value]));
  const registered = await startMocks({ preview: true, config, slow: (_type, name) => name === options.slow });
  const topic = (name: string) => new gcp.pubsub.Topic(name, { name, project: PROJECT });
  deployFunctions({
    project: PROJECT,
    region: 'europe-west1',
    config: loadConfig(),
    source: testArchive(),
    topics: { events: topic('events'), rejected: topic('rejected-events') },
    deadLetter: topic('events-dead-letter'),
    secrets: { TOKEN_KEY: testSecret('TOKEN_KEY', 'user-token-key'), USER_HASH_KEY: testSecret('USER_HASH_KEY', 'user-hash-key') },
    dataset: new gcp.bigquery.Dataset('dataset', { project: PROJECT, datasetId: 'learning_loop' }),
    storage: [new gcp.bigquery.Table('storage', { project: PROJECT, datasetId: 'learning_loop', tableId: 'events' })],
    importBucket: new gcp.storage.Bucket('imports', { project: PROJECT, name: `${PROJECT}-imports`, location: 'europe-west1' }),
  });
  await settled();
  return registered;
}

/** What a component built on its own is built from: an archive and a build account of no consequence. */
export function testArchive(): FunctionArchive {
  return {
    bucket: 'source',
    object: 'functions.zip',
    buildServiceAccount: `projects/${PROJECT}/serviceAccounts/functions-build@${PROJECT}.iam.gserviceaccount.com`,
    dockerRepository: `projects/${PROJECT}/locations/europe-west1/repositories/functions`,
    builtAfter: [],
  };
}

/** A secret with a version, as a component built on its own reads it. */
export function testSecret(key: string, secretId: string): SecretVariable {
  const secret = new gcp.secretmanager.Secret(secretId, { project: PROJECT, secretId, replication: { auto: {} } });
  const version = new gcp.secretmanager.SecretVersion(`${secretId}-version`, {
    secret: secret.id,
    secretData: pulumi.secret('k'.repeat(32)),
  });
  return { key, secret, secretName: secretId, version };
}

/** Whether a registered input arrived at the engine as a secret (the mocks see the engine's wire form). */
export function isSecretInput(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.values(value).includes(SECRET_SIGNATURE) && 'value' in value;
}
/** The signature the Pulumi wire format marks a secret value with (`specialSecretSig` of @pulumi/pulumi's runtime). */
const SECRET_SIGNATURE = '1b47061264138c4ac30d75fd1eb44270';

/** The value inside a secret input. */
export function secretValue(value: unknown): unknown {
  if (!isSecretInput(value)) throw new Error(`not a secret input: ${JSON.stringify(value)}`);
  return objectAt(value).value;
}

/**
 * Whether a resource was registered with `protect`: the engine refuses to delete or replace it. Mocks do not see
 * resource options; the SDK keeps this one on the resource (`__protect`, which its children inherit).
 */
export function isProtected(resource: pulumi.Resource): boolean {
  return Reflect.get(resource, '__protect') === true;
}

/** A nested input as a record, failing the test when it is missing. */
export function objectAt(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`expected an object, got ${String(value)}`);
  return Object.fromEntries(Object.entries(value));
}

export function ofType(resources: Registered[], type: string): Registered[] {
  return resources.filter((r) => r.type === type);
}

export function named(resources: Registered[], type: string, name: string): Registered {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} was registered`);
  return found;
}

/** One role given to one member, from any IAM member or binding resource. */
export type Grant = { type: string; name: string; role: string; member: string; inputs: Record<string, unknown> };

export function grants(resources: Registered[]): Grant[] {
  return resources.flatMap((r) => {
    const { role, member, members } = r.inputs;
    if (typeof role !== 'string') return [];
    return (Array.isArray(members) ? members : [member])
      .filter((m): m is string => typeof m === 'string')
      .map((m) => ({ type: r.type, name: r.name, role, member: m, inputs: r.inputs }));
  });
}
