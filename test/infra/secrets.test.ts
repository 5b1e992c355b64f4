import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { named, ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

describe('secrets', () => {
  let resources: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
  });

  it('declares exactly the token key and the hash key', () => {
    expect(ofType(resources, TYPES.secret).map((s) => s.inputs.secretId).sort()).toEqual(['user-hash-key', 'user-token-key']);
  });

  it('declares user-hash-key in the project, replicated automatically, and refuses to delete it: tombstones are found by it', () => {
    expect(named(resources, TYPES.secret, 'user-hash-key').inputs).toMatchObject({
      project: PROJECT,
      secretId: 'user-hash-key',
      replication: { auto: {} },
      deletionProtection: true,
    });
  });

  it('never holds a secret value: the operator adds every version', () => {
    expect(ofType(resources, TYPES.secretVersion)).toEqual([]);
    expect(resources.filter((r) => r.type.startsWith('gcp:secretmanager/') && r.type !== TYPES.secret && r.type !== TYPES.secretIam)).toEqual([]);
  });

  it('exports the hash key\'s secret id as userHashKeySecret', async () => {
    const program = await import('../../infra/index.ts');

    expect(pulumi.Output.isInstance(program.userHashKeySecret)).toBe(true);
    expect(await valueOf(program.userHashKeySecret)).toBe('user-hash-key');
  });
});
