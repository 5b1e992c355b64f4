import { beforeAll, describe, expect, it } from 'vitest';
import { deployFunctionsAlone, named, objectAt, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

type SecretEnv = { key: string; secret: string; version: string; projectId: string };

describe('collect function', () => {
  let fn: Registered;
  let serviceConfig: Record<string, unknown>;
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
    fn = named(resources, TYPES.function, 'collect');
    serviceConfig = objectAt(fn.inputs.serviceConfig);
  });

  it('is built from the uploaded archive as a Node 22 function with entry point collect', () => {
    const archive = named(resources, TYPES.bucketObject, 'function-source-archive');

    expect(fn.inputs).toMatchObject({ name: 'collect', location: 'europe-west1', project: PROJECT });
    expect(fn.inputs.buildConfig).toMatchObject({
      runtime: 'nodejs22',
      entryPoint: 'collect',
      source: { storageSource: { bucket: archive.inputs.bucket, object: archive.inputs.name } },
    });
  });

  it('deploys the prebuilt dist/ without running the build script in Cloud Build', () => {
    expect(fn.inputs.buildConfig).toMatchObject({ environmentVariables: { GOOGLE_NODE_RUN_SCRIPTS: '' } });
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

  it('is told its project, topics, token claims and how long to cache privacy settings (5 s by default)', () => {
    expect(serviceConfig.environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      EVENTS_TOPIC: 'events',
      REJECTED_EVENTS_TOPIC: 'rejected-events',
      PRIVACY_CACHE_SECONDS: '5',
      TOKEN_ISSUER: 'grocery-shop',
      TOKEN_AUDIENCE: 'learning-loop',
      CORS_ORIGINS: '*',
    });
  });

  it('takes public traffic and scales within the configured defaults', () => {
    expect(serviceConfig).toMatchObject({
      ingressSettings: 'ALLOW_ALL',
      availableMemory: '512Mi',
      availableCpu: '1',
      minInstanceCount: 0,
      maxInstanceCount: 20,
      maxInstanceRequestConcurrency: 80,
      timeoutSeconds: 60,
    });
  });
});

describe('collect on its own', () => {
  /** The functions alone, with the resource named `slow` taking a while to create. */
  async function deployWithSlow(slow: string, privacyCacheSeconds = 5): Promise<Registered[]> {
    return deployFunctionsAlone({ slow, config: { privacyCacheSeconds: String(privacyCacheSeconds) } });
  }

  it('passes its privacyCacheSeconds on as PRIVACY_CACHE_SECONDS', async () => {
    const resources = await deployWithSlow('none', 17);

    expect(objectAt(objectAt(named(resources, TYPES.function, 'collect').inputs.serviceConfig).environmentVariables)).toMatchObject({
      PRIVACY_CACHE_SECONDS: '17',
    });
  });

  it.each(['collect-reads-user-token-key', 'collect-reads-user-hash-key'])(
    'deploys collect only once %s exists: a revision that cannot read its secret is refused',
    async (slow) => {
      const resources = await deployWithSlow(slow);
      const created = resources.find((r) => r.name === slow)?.created;

      expect(created).toBeDefined();
      expect(named(resources, TYPES.function, 'collect').started).toBeGreaterThan(created ?? Infinity);
    },
  );
});
