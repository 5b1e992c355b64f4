import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/registry.ts';
import { resourceName } from '../../infra/functions.ts';
import { named, objectAt, ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

const BUILD_ACCOUNT = `projects/${PROJECT}/serviceAccounts/functions-build@${PROJECT}.iam.gserviceaccount.com`;
const REPOSITORY = `projects/${PROJECT}/locations/europe-west1/repositories/functions`;
const BUILD_GRANTS = ['functions-build-writes-logs', 'functions-build-pushes-images', 'functions-build-reads-sources'];

// The grants take a while, so a function built before them would show it.
let resources: Registered[];
beforeAll(async () => {
  resources = await runProgram({}, (_type, name) => BUILD_GRANTS.includes(name));
});

describe('how the functions are built', () => {
  it('builds every function as the account functions-build, never a default Cloud Build account', () => {
    const functions = ofType(resources, TYPES.function);

    expect(functions.map((f) => f.name).sort()).toEqual(FUNCTIONS.map((fn) => resourceName(fn.name)).sort());
    for (const fn of functions) expect(objectAt(fn.inputs.buildConfig).serviceAccount, fn.name).toBe(BUILD_ACCOUNT);
    expect(named(resources, TYPES.account, 'functions-build').inputs).toMatchObject({ accountId: 'functions-build', project: PROJECT });
  });

  it("puts every image in the Docker repository functions of the functions' region, which the build account may push to", () => {
    for (const fn of ofType(resources, TYPES.function)) expect(objectAt(fn.inputs.buildConfig).dockerRepository, fn.name).toBe(REPOSITORY);
    expect(named(resources, TYPES.repository, 'functions-images').inputs).toMatchObject({
      project: PROJECT,
      location: 'europe-west1',
      repositoryId: 'functions',
      format: 'DOCKER',
    });
    expect(named(resources, TYPES.repositoryIam, 'functions-build-pushes-images').inputs).toMatchObject({
      location: 'europe-west1',
      repository: 'functions',
      role: 'roles/artifactregistry.writer',
      member: `serviceAccount:functions-build@${PROJECT}.iam.gserviceaccount.com`,
    });
  });

  it('starts no build before the build account holds its roles: a build without them fails the deployment', () => {
    const granted = Math.max(...BUILD_GRANTS.map((name) => resources.find((r) => r.name === name)?.created ?? Infinity));

    for (const fn of ofType(resources, TYPES.function)) expect(fn.started, fn.name).toBeGreaterThan(granted);
  });

  it('enables the Artifact Registry API before it makes the repository', () => {
    const api = named(resources, TYPES.api, 'artifactregistry-api');

    expect(named(resources, TYPES.repository, 'functions-images').started).toBeGreaterThan(api.created ?? Infinity);
  });
});
