import { beforeAll, describe, expect, it } from 'vitest';
import { ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

describe('Google Cloud APIs', () => {
  let apis: Registered[];
  beforeAll(async () => {
    apis = ofType(await runProgram(), TYPES.api);
  });

  it('enables every API the program and its functions use', () => {
    expect(apis.map((api) => api.inputs.service).sort()).toEqual([
      'artifactregistry.googleapis.com',
      'bigquery.googleapis.com',
      'cloudbuild.googleapis.com',
      'cloudfunctions.googleapis.com',
      'cloudscheduler.googleapis.com',
      'firestore.googleapis.com',
      'iam.googleapis.com',
      'logging.googleapis.com',
      'monitoring.googleapis.com',
      'pubsub.googleapis.com',
      'run.googleapis.com',
      'secretmanager.googleapis.com',
    ]);
  });

  it('leaves them enabled when the stack is destroyed', () => {
    for (const api of apis) expect(api.inputs).toMatchObject({ project: PROJECT, disableOnDestroy: false });
  });
});
