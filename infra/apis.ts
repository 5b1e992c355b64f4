import * as gcp from '@pulumi/gcp';

const REQUIRED_APIS = [
  'cloudfunctions',
  'run',
  'cloudbuild',
  'artifactregistry',
  'pubsub',
  'eventarc',
  'secretmanager',
  'iam',
  'logging',
  'monitoring',
] as const;

/** Turns on every API the program uses. They stay on at destroy: other workloads in the project may need them. */
export function enableApis(project: string): gcp.projects.Service[] {
  return REQUIRED_APIS.map(
    (api) =>
      new gcp.projects.Service(`${api}-api`, {
        project,
        service: `${api}.googleapis.com`,
        disableOnDestroy: false,
      }),
  );
}
