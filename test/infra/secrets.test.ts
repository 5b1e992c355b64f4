import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/registry.ts';
import { Secrets } from '../../infra/secrets.ts';
import {
  isProtected,
  isSecretInput,
  named,
  ofType,
  PROJECT,
  runProgram,
  secretValue,
  settled,
  startMocks,
  TYPES,
  type Registered,
} from './run-program.ts';

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

// A version takes a while to be added, so a function that did not wait for one would show it.
const VERSIONS = ['user-token-key-version', 'user-hash-key-version'];

describe('secrets of a new project, whose stack gives no key', () => {
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram({}, (_type, name) => VERSIONS.includes(name));
  });

  it('declares exactly the token key and the hash key', () => {
    expect(
      ofType(resources, TYPES.secret)
        .map((s) => s.inputs.secretId)
        .sort(),
    ).toEqual(['user-hash-key', 'user-token-key']);
  });

  it('declares user-hash-key in the project, replicated automatically, and Google refuses to delete it: tombstones are found by it', () => {
    expect(named(resources, TYPES.secret, 'user-hash-key').inputs).toMatchObject({
      project: PROJECT,
      secretId: 'user-hash-key',
      replication: { auto: {} },
      deletionProtection: true,
    });
  });

  it.each(['user-token-key', 'user-hash-key'])('generates %s: 64 letters and digits, made once by random.RandomPassword', (secretId) => {
    expect(named(resources, TYPES.randomPassword, `${secretId}-value`).inputs).toEqual({ length: 64, special: false });
  });

  it.each(['user-token-key', 'user-hash-key'])(
    "adds the generated %s as the secret's version, passed to the engine as a secret",
    (secretId) => {
      const version = named(resources, TYPES.secretVersion, `${secretId}-version`);

      expect(version.inputs.secret).toBe(`${secretId}_id`);
      expect(isSecretInput(version.inputs.secretData)).toBe(true);
      // The mocks' RandomPassword answers 'g' times its length.
      expect(secretValue(version.inputs.secretData)).toBe('g'.repeat(64));
    },
  );

  it("leaves the hash key's version in Secret Manager should it ever leave the stack", () => {
    expect(named(resources, TYPES.secretVersion, 'user-hash-key-version').inputs.deletionPolicy).toBe('ABANDON');
  });

  it('starts no function before the secrets it reads have a version: one pulumi up deploys everything', () => {
    const added = Math.max(...VERSIONS.map((name) => named(resources, TYPES.secretVersion, name).created ?? Infinity));
    const functions = ofType(resources, TYPES.function);

    expect(functions.length).toBe(FUNCTIONS.length);
    for (const fn of functions.filter((f) => JSON.stringify(f.inputs).includes('secretEnvironmentVariables'))) {
      expect(fn.started, fn.name).toBeGreaterThan(added);
    }
  });

  it("exports the token key in force as a secret output, for the shop to sign HS256 tokens with, and the hash key's secret id", async () => {
    const program = await import('../../infra/index.ts');

    expect(await pulumi.isSecret(program.userTokenKey)).toBe(true);
    expect(await valueOf(program.userTokenKey)).toBe('g'.repeat(64));
    expect(await valueOf(program.userHashKeySecret)).toBe('user-hash-key');
  });
});

describe('secrets whose keys the stack gives', () => {
  let resources: Registered[];
  let secrets: Secrets;
  beforeAll(async () => {
    resources = await startMocks({ preview: true });
    secrets = new Secrets('secrets', {
      project: PROJECT,
      given: { userTokenKey: pulumi.secret('t'.repeat(40)), userHashKey: pulumi.secret('h'.repeat(48)) },
    });
    await settled();
  });

  it('generates nothing', () => {
    expect(ofType(resources, TYPES.randomPassword)).toEqual([]);
  });

  it("adds each given key as its secret's version, as a secret", () => {
    const data = (name: string) => named(resources, TYPES.secretVersion, name).inputs.secretData;

    expect(secretValue(data('user-token-key-version'))).toBe('t'.repeat(40));
    expect(secretValue(data('user-hash-key-version'))).toBe('h'.repeat(48));
  });

  it("protects the hash key's secret and version: a run that would change the key fails instead", () => {
    expect(isProtected(secrets.userHashKey.secret)).toBe(true);
    expect(isProtected(secrets.userHashKey.version)).toBe(true);
    // The token key may be rotated: a new value adds a new version.
    expect(isProtected(secrets.userTokenKey.version)).toBe(false);
  });
});

describe('a generated hash key', () => {
  it('is protected as well: dropping it from the stack, or replacing it, is refused', async () => {
    const resources = await startMocks({ preview: true });
    const secrets = new Secrets('secrets', { project: PROJECT, given: {} });
    await settled();
    const generated = secrets.generated.userHashKey;
    if (!generated) throw new Error('no hash key was generated');

    expect(
      ofType(resources, TYPES.randomPassword)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['user-hash-key-value', 'user-token-key-value']);
    expect(isProtected(generated)).toBe(true);
    expect(isProtected(secrets.userHashKey.version)).toBe(true);
  });
});
