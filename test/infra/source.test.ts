import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionSource, sourceArchive, sourceFiles } from '../../infra/source.ts';
import { named, PROJECT, settled, startMocks, TYPES } from './run-program.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const fixtures: string[] = [];
afterEach(() => {
  for (const dir of fixtures.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository in a temporary directory: each path gets a small file, `.gcloudignore` is copied from ours. */
function repository(files: string[], options: { gcloudignore: boolean }): string {
  const root = mkdtempSync(path.join(tmpdir(), 'function-source-'));
  fixtures.push(root);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    const content = file === 'package.json' ? JSON.stringify({ main: 'dist/functions/index.js' }) : `// ${file}\n`;
    writeFileSync(path.join(root, file), content);
  }
  if (options.gcloudignore) cpSync(path.join(REPO_ROOT, '.gcloudignore'), path.join(root, '.gcloudignore'));
  return root;
}

const BUILT_REPOSITORY = [
  'package.json',
  'package-lock.json',
  'dist/functions/index.js',
  'dist/functions/local/stack.js',
  'dist/client/grocery-loop.min.js',
  'functions/index.ts',
  'test/x.test.ts',
  'node_modules/a/index.js',
];

describe('sourceFiles', () => {
  it('ships the compiled functions and the manifests, not tests, dependencies, sources, the local stack or the client bundles', () => {
    const root = repository(BUILT_REPOSITORY, { gcloudignore: true });

    expect(sourceFiles(root)).toEqual(['dist/functions/index.js', 'package-lock.json', 'package.json']);
  });

  it('lists only what exists when nothing was built', () => {
    const root = repository(['package.json', 'package-lock.json', 'functions/index.ts'], { gcloudignore: true });

    expect(sourceFiles(root)).toEqual(['package-lock.json', 'package.json']);
  });

  it('puts each file in the archive at its relative path', async () => {
    const root = repository(BUILT_REPOSITORY, { gcloudignore: false });
    const files = ['dist/functions/index.js', 'package.json'];

    const assets = await sourceArchive(root, files).assets;
    const paths = await Promise.all(
      Object.entries(assets).map(async ([name, asset]) => [name, 'path' in asset ? await asset.path : undefined]),
    );

    expect(paths).toEqual(files.map((file) => [file, path.join(root, file)]));
  });
});

describe('FunctionSource', () => {
  async function deploy(root: string, name: string) {
    const registered = await startMocks({ preview: false });
    new FunctionSource(name, { project: PROJECT, region: 'europe-west1', rootDir: root });
    await settled();
    return {
      bucket: named(registered, TYPES.bucket, `${name}-bucket`),
      archive: named(registered, TYPES.bucketObject, `${name}-archive`),
    };
  }

  it('keeps archives in a private bucket that forgets them after 30 days', async () => {
    const { bucket, archive } = await deploy(repository(BUILT_REPOSITORY, { gcloudignore: false }), 'source');

    expect(bucket.inputs).toMatchObject({
      location: 'europe-west1',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      lifecycleRules: [{ action: { type: 'Delete' }, condition: { age: 30 } }],
    });
    expect(archive.inputs.bucket).toBe('source-bucket');
  });

  it('names the archive by its content, so that a changed file redeploys', async () => {
    const root = repository(BUILT_REPOSITORY, { gcloudignore: false });
    const first = (await deploy(root, 'first')).archive.inputs.name;
    const again = (await deploy(root, 'again')).archive.inputs.name;
    writeFileSync(path.join(root, 'dist/functions/index.js'), '// changed\n');
    const changed = (await deploy(root, 'changed')).archive.inputs.name;

    expect(first).toMatch(/^functions-[0-9a-f]{16}\.zip$/);
    expect(again).toBe(first);
    expect(changed).not.toBe(first);
  });

  it('refuses to deploy an archive without the compiled entry point', async () => {
    const root = repository(['package.json', 'package-lock.json'], { gcloudignore: false });
    await startMocks({ preview: false });

    expect(() => new FunctionSource('unbuilt', { project: PROJECT, region: 'europe-west1', rootDir: root })).toThrow(
      /dist\/functions\/index\.js.*npm run build/,
    );
  });
});
