import { beforeAll, describe, expect, it } from 'vitest';
import { grants, named, PROJECT, runProgram, TYPES, type Grant, type Registered } from './run-program.ts';

const COLLECT_SA = `serviceAccount:collect-fn@${PROJECT}.iam.gserviceaccount.com`;
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const PROJECT_LEVEL_IAM = ['gcp:projects/iAMMember:IAMMember', 'gcp:projects/iAMBinding:IAMBinding', 'gcp:projects/iAMPolicy:IAMPolicy'];

/** A grant as one readable line: on what, which role. */
function scopeOf(grant: Grant): string {
  const on = grant.inputs;
  switch (grant.type) {
    case 'gcp:pubsub/topicIAMMember:TopicIAMMember':
      return `topic ${String(on.topic)}: ${grant.role}`;
    case 'gcp:secretmanager/secretIamMember:SecretIamMember':
      return `secret ${String(on.secretId)}: ${grant.role}`;
    case 'gcp:projects/iAMMember:IAMMember':
      return `project ${String(on.project)}: ${grant.role}`;
    default:
      return `${grant.type} ${grant.name}: ${grant.role}`;
  }
}

describe('who may do what', () => {
  let resources: Registered[];
  let all: Grant[];
  beforeAll(async () => {
    resources = await runProgram();
    all = grants(resources);
  });

  it('lets anyone invoke collect, and nothing else', () => {
    const fn = named(resources, TYPES.function, 'collect');
    // Searched in every input, so that a public principal inside a policy document is found too.
    const open = resources.filter((r) => PUBLIC_MEMBERS.some((member) => JSON.stringify(r.inputs).includes(member)));

    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      type: 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember',
      inputs: { role: 'roles/run.invoker', member: 'allUsers', name: fn.inputs.name, location: fn.inputs.location, project: PROJECT },
    });
  });

  it('gives the collect account exactly the roles it uses, each on the narrowest resource', () => {
    const held = all.filter((g) => g.member === COLLECT_SA).map(scopeOf);

    expect(held.sort()).toEqual([
      `project ${PROJECT}: roles/logging.logWriter`,
      'secret user-token-key: roles/secretmanager.secretAccessor',
      'topic events: roles/pubsub.publisher',
      'topic rejected-events: roles/pubsub.publisher',
    ]);
  });

  it('grants no Pub/Sub or Secret Manager role at project level', () => {
    const projectWide = all.filter((g) => PROJECT_LEVEL_IAM.includes(g.type));

    expect(projectWide.length).toBeGreaterThan(0);
    for (const grant of projectWide) expect(grant.role).not.toMatch(/^roles\/(pubsub|secretmanager)\./);
  });

  it('lets only the collect account read the token key', () => {
    const secret = named(resources, TYPES.secret, 'user-token-key');
    const onSecret = all.filter((g) => g.type.startsWith('gcp:secretmanager/') && g.inputs.secretId === secret.inputs.secretId);

    expect(onSecret.map((g) => [g.member, g.role])).toEqual([[COLLECT_SA, 'roles/secretmanager.secretAccessor']]);
  });

  it('runs collect as its own account, not the default compute one', () => {
    const fn = named(resources, TYPES.function, 'collect');

    expect(fn.inputs.serviceConfig).toMatchObject({ serviceAccountEmail: `collect-fn@${PROJECT}.iam.gserviceaccount.com` });
  });
});
