import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionArchive } from './node-function.ts';
import type { FunctionSource } from './source.ts';

export type FunctionBuildArgs = {
  project: string;
  region: string;
  /** The uploaded archive every function is built from. */
  source: FunctionSource;
};

/**
 * Who builds the functions, and where the images go: Cloud Build runs each function's build as the account
 * `functions-build`, not as a default account. New projects' default Cloud Build account may lack what a build needs
 * (https://cloud.google.com/functions/docs/securing/build-custom-sa); this one holds exactly the roles that page
 * documents for a custom build account, each on the narrowest resource it can be granted on:
 * - `roles/logging.logWriter` on the project: the build's logs go to Cloud Logging, which has no narrower resource;
 * - `roles/artifactregistry.writer` on the repository `functions` alone, which the functions name as their
 *   `dockerRepository` (the page's alternative to the shared `gcf-artifacts` repository);
 * - `roles/storage.objectViewer` on the project, to read the source: Cloud Functions builds from its own copy in
 *   `gcf-v2-sources-<project number>-<region>` (https://cloud.google.com/functions/docs/building), a bucket it creates
 *   at the first deployment, so no grant can be put on that bucket beforehand. The page also names
 *   `roles/storage.objectAdmin`; these builds write no objects (images go to Artifact Registry, logs to Cloud
 *   Logging), so reading is all that is granted.
 */
export class FunctionBuild extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  readonly repository: gcp.artifactregistry.Repository;
  /** What every function is built from and by, as `nodeFunction` takes it. */
  readonly archive: FunctionArchive;

  constructor(name: string, args: FunctionBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:FunctionBuild', name, {}, opts);
    const { project, region } = args;

    this.account = new gcp.serviceaccount.Account(
      'functions-build',
      { project, accountId: 'functions-build', displayName: 'Cloud Build building the functions' },
      { parent: this },
    );
    this.repository = new gcp.artifactregistry.Repository(
      'functions-images',
      {
        project,
        location: region,
        repositoryId: 'functions',
        format: 'DOCKER',
        description: "Container images of the learning loop's functions.",
      },
      { parent: this },
    );
    const member = this.account.member;
    const grants = [
      new gcp.projects.IAMMember('functions-build-writes-logs', { project, role: 'roles/logging.logWriter', member }, { parent: this }),
      new gcp.artifactregistry.RepositoryIamMember(
        'functions-build-pushes-images',
        { project, location: region, repository: this.repository.repositoryId, role: 'roles/artifactregistry.writer', member },
        { parent: this },
      ),
      new gcp.projects.IAMMember(
        'functions-build-reads-sources',
        { project, role: 'roles/storage.objectViewer', member },
        { parent: this },
      ),
    ];

    this.archive = {
      bucket: args.source.bucket.name,
      object: args.source.archive.name,
      buildServiceAccount: this.account.name,
      dockerRepository: pulumi.interpolate`projects/${project}/locations/${region}/repositories/${this.repository.repositoryId}`,
      builtAfter: grants,
    };
    this.registerOutputs({ account: this.account.email, repository: this.repository.repositoryId });
  }
}
