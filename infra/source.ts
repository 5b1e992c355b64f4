import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import ignore from 'ignore';

/** What Cloud Functions builds from: the compiled output and the manifests `npm ci` installs from. */
const SOURCE_ROOTS = ['dist', 'package.json', 'package-lock.json'];

/**
 * The files of the function source archive, relative to `rootDir` with `/` separators, sorted.
 * `.gcloudignore` is honoured as `gcloud functions deploy` would. Nothing is built here: without
 * `dist/`, only what exists is listed.
 */
export function sourceFiles(rootDir: string): string[] {
  const ignorePath = path.join(rootDir, '.gcloudignore');
  const rules = ignore().add(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  return SOURCE_ROOTS.flatMap((entry) => filesUnder(rootDir, entry))
    .filter((file) => !rules.ignores(file))
    .sort();
}

/** The archive Cloud Functions receives: each listed file at its relative path. */
export function sourceArchive(rootDir: string, files: string[]): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive(
    Object.fromEntries(files.map((file) => [file, new pulumi.asset.FileAsset(path.join(rootDir, file))])),
  );
}

function filesUnder(rootDir: string, entry: string): string[] {
  const full = path.join(rootDir, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((dirent) => dirent.isFile())
    .map((dirent) => path.relative(rootDir, path.join(dirent.parentPath, dirent.name)).split(path.sep).join('/'));
}

/** Names and contents together, so a renamed file changes the hash as much as an edited one. */
function contentHash(rootDir: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(rootDir, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

export type FunctionSourceArgs = {
  project: string;
  region: string;
  /** Repository root: where `package.json`, `.gcloudignore` and `dist/` are. */
  rootDir: string;
};

/** The function source archive in its own bucket, named by content so that a change redeploys. */
export class FunctionSource extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  readonly archive: gcp.storage.BucketObject;

  constructor(name: string, args: FunctionSourceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:functions:FunctionSource', name, {}, opts);

    const files = sourceFiles(args.rootDir);
    checkEntryPoint(args.rootDir, files, this);

    this.bucket = new gcp.storage.Bucket(
      `${name}-bucket`,
      {
        project: args.project,
        location: args.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        // Holds only build inputs, which Cloud Build has copied by the time a deployment ends.
        forceDestroy: true,
        lifecycleRules: [{ action: { type: 'Delete' }, condition: { age: 30 } }],
      },
      { parent: this },
    );
    this.archive = new gcp.storage.BucketObject(
      `${name}-archive`,
      {
        bucket: this.bucket.name,
        name: `functions-${contentHash(args.rootDir, files)}.zip`,
        source: sourceArchive(args.rootDir, files),
      },
      { parent: this },
    );

    this.registerOutputs({ bucket: this.bucket.name, archive: this.archive.name });
  }
}

/**
 * Without the compiled entry point the deployment would fail minutes later inside Cloud Build.
 * A preview only warns, so that the rest of the plan can be read before building.
 */
function checkEntryPoint(rootDir: string, files: string[], resource: pulumi.Resource): void {
  const manifest = JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as { main?: string };
  const main = path.posix.normalize(manifest.main ?? 'index.js');
  if (files.includes(main)) return;
  const message = `${main} (package.json "main") is not in the function source: run \`npm run build\`, and check .gcloudignore`;
  if (!pulumi.runtime.isDryRun()) throw new pulumi.ResourceError(message, resource);
  void pulumi.log.warn(message, resource);
}
