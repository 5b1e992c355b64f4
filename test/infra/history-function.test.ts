import type * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
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
  type Registered,
} from './run-program.ts';

// The history function as the program deploys it from its descriptor's needs: what it is told, who may call it, and
// whom it may call.

const OPERATORS = ['group:data-ops@shop.example'];

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram({ [`${PULUMI_PROJECT}:operators`]: OPERATORS.join(', ') });
});

const serviceConfig = () => objectAt(named(resources, TYPES.function, 'history').inputs.serviceConfig);

describe('history function', () => {
  it('is told the import bucket and the patterns function’s URL, beside the warehouse', () => {
    const bucket = named(resources, TYPES.bucket, 'imports');
    expect(serviceConfig().environmentVariables).toEqual({
      GOOGLE_CLOUD_PROJECT: PROJECT,
      LOG_LEVEL: 'INFO',
      WAREHOUSE: 'bigquery',
      BIGQUERY_DATASET: 'learning_loop',
      BIGQUERY_LOCATION: 'EU',
      MAXIMUM_BYTES_BILLED: String(1024 ** 4),
      IMPORT_BUCKET: bucket.inputs.name,
      PATTERNS_URL: serviceUrl('patterns'),
    });
    expect(bucket.inputs).toMatchObject({ project: PROJECT, location: 'europe-west1' });
  });

  it('runs one import at a time, within a request of up to an hour', () => {
    expect(serviceConfig()).toMatchObject({
      maxInstanceCount: 1,
      minInstanceCount: 0,
      maxInstanceRequestConcurrency: 4,
      timeoutSeconds: 3600,
      availableMemory: '1Gi',
    });
  });

  it('may be invoked by the stack’s operators alone, and may invoke the patterns function', () => {
    const on = (name: string) => grants(resources).filter((g) => g.type === TYPES.runServiceIam && g.inputs.name === name);
    expect(on('history').map((g) => g.member)).toEqual(OPERATORS);
    expect(on('patterns').map((g) => g.member)).toContain(serviceAccountMember('history-fn'));
  });

  it('exports its service URL as historyUrl, for npm run import', async () => {
    const program = await import('../../infra/index.ts');
    expect(await valueOf(program.historyUrl)).toBe(serviceUrl('history'));
  });
});
