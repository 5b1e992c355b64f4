import * as gcp from '@pulumi/gcp';

// No Eventarc: Pub/Sub pushes to the ingest functions through subscriptions of our own.
const REQUIRED_APIS = [
  'cloudfunctions',
  'run',
  'cloudbuild',
  'artifactregistry',
  'pubsub',
  'secretmanager',
  'iam',
  'logging',
  'monitoring',
  'bigquery',
  'firestore',
  'cloudscheduler',
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
