import { beforeAll, describe, expect, it } from 'vitest';
import { deployFunctionsAlone, named, objectAt, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

type SecretEnv = { key: string; secret: string; version: string; projectId: string };

describe('users function', () => {
  let fn: Registered;
  let serviceConfig: Record<string, unknown>;
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
    fn = named(resources, TYPES.function, 'users');
    serviceConfig = objectAt(fn.inputs.serviceConfig);
  });

  it('is built from the same archive and build as collect, as a Node 22 function with entry point users', () => {
    const archive = named(resources, TYPES.bucketObject, 'function-source-archive');
    const collect = objectAt(named(resources, TYPES.function, 'collect').inputs.buildConfig);

    expect(fn.inputs).toMatchObject({ name: 'users', location: 'europe-west1', project: PROJECT });
    expect(fn.inputs.buildConfig).toEqual({ ...collect, entryPoint: 'users' });
    expect(fn.inputs.buildConfig).toMatchObject({
      runtime: 'nodejs22',
      entryPoint: 'users',
      source: { storageSource: { bucket: archive.inputs.bucket, object: archive.inputs.name } },
      environmentVariables: { GOOGLE_NODE_RUN_SCRIPTS: '' },
    });
  });

  it('reads TOKEN_KEY and USER_HASH_KEY from the latest versions of user-token-key and user-hash-key', () => {
    expect(serviceConfig.secretEnvironmentVariables).toEqual<SecretEnv[]>([
      { key: 'TOKEN_KEY', projectId: PROJECT, secret: 'user-token-key', version: 'latest' },
      { key: 'USER_HASH_KEY', projectId: PROJECT, secret: 'user-hash-key', version: 'latest' },
    ]);
  });

  it('keeps no key or secret in a plain environment variable', () => {
    const plain = Object.keys(objectAt(serviceConfig.environmentVariables));

    expect(plain).not.toContain('TOKEN_KEY');
    expect(plain).not.toContain('USER_HASH_KEY');
    for (const name of plain) expect(name).not.toMatch(/KEY|SECRET|PASSWORD|CREDENTIAL/i);
  });

  it('is told its project, the warehouse it records links in, token claims and CORS origins, and nothing of topics', () => {
    expect(serviceConfig.environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      TOKEN_ISSUER: 'grocery-shop',
      TOKEN_AUDIENCE: 'learning-loop',
      CORS_ORIGINS: '*',
    });
  });

  it('takes public traffic and scales within the configured defaults', () => {
    expect(serviceConfig).toMatchObject({
      ingressSettings: 'ALLOW_ALL',
      availableMemory: '256Mi',
      availableCpu: '1',
      minInstanceCount: 0,
      maxInstanceCount: 10,
      maxInstanceRequestConcurrency: 80,
      timeoutSeconds: 30,
    });
  });
});

describe('order of creation of the users function', () => {
  it.each([
    ['users-reads-user-token-key', 'the token key'],
    ['users-reads-user-hash-key', 'the hash key'],
  ])('deploys users only once %s exists (its account may read %s): a revision that cannot read its secret is refused', async (slow) => {
    const resources = await deployFunctionsAlone({ slow });
    const created = resources.find((r) => r.name === slow)?.created;

    expect(created).toBeDefined();
    expect(named(resources, TYPES.function, 'users').started).toBeGreaterThan(created ?? Infinity);
  });
});
