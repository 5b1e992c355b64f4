import * as pulumi from '@pulumi/pulumi';

/** A resource the program registered, with the inputs it was given. */
export type Registered = {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
};

export const PROJECT = 'demo-prod';
export const PULUMI_PROJECT = 'grocery-learning-loop';

export const TYPES = {
  api: 'gcp:projects/service:Service',
  account: 'gcp:serviceaccount/account:Account',
  bucket: 'gcp:storage/bucket:Bucket',
  bucketObject: 'gcp:storage/bucketObject:BucketObject',
  function: 'gcp:cloudfunctionsv2/function:Function',
  secret: 'gcp:secretmanager/secret:Secret',
  subscription: 'gcp:pubsub/subscription:Subscription',
  topic: 'gcp:pubsub/topic:Topic',
} as const;

/** What the mocks report back once a resource is "created": its inputs plus the outputs later code reads. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state = { ...inputs, name: inputs.name ?? name };
  switch (type) {
    case TYPES.account: {
      const email = `${String(inputs.accountId)}@${PROJECT}.iam.gserviceaccount.com`;
      return { ...state, email, member: `serviceAccount:${email}` };
    }
    case TYPES.function:
      return { ...state, url: `https://${String(inputs.location)}-${PROJECT}.cloudfunctions.net/${String(state.name)}` };
    default:
      return state;
  }
}

/**
 * Sets Pulumi mocks that record every resource registered from now on, and the stack config.
 * `preview` runs as `pulumi preview` would.
 */
export async function startMocks(options: { preview: boolean; config?: Record<string, string> }): Promise<Registered[]> {
  const registered: Registered[] = [];
  pulumi.runtime.setAllConfig({ 'gcp:project': PROJECT, ...options.config });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs: Record<string, unknown> = args.inputs;
        registered.push({ type: args.type, name: args.name, inputs });
        return { id: `${args.name}_id`, state: mockState(args.type, args.name, inputs) };
      },
      call: (args) => args.inputs,
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
export async function runProgram(config: Record<string, string> = {}): Promise<Registered[]> {
  const registered = await startMocks({ preview: true, config });
  await import('../../infra/index.ts');
  await settled();
  return registered;
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
