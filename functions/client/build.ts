import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Format, type Platform } from 'esbuild';

// `npm run build` runs this: the client's bundles into dist/client, and the browser bundles' size
// against their budget. `node functions/client/build.ts [outdir]`.

/** The browser bundles' budget, minified and gzipped: 6 KB. Algolia's search-insights 2.17.3 is 3.8 KB. */
export const BUDGET_BYTES = 6000;

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '../..');

type Bundle = { file: string; entry: string; format: Format; platform: Platform };

export const BUNDLES: readonly Bundle[] = [
  /** For a `<script>` tag: `GroceryLoop.createTracker(…)`. */
  { file: 'grocery-loop.min.js', entry: 'script-tag.ts', format: 'iife', platform: 'browser' },
  /** For the shop's own bundler: `import { createTracker } from 'grocery-learning-loop/client'`. */
  { file: 'browser.mjs', entry: 'browser.ts', format: 'esm', platform: 'browser' },
  { file: 'node.mjs', entry: 'node.ts', format: 'esm', platform: 'node' },
];

export type BuiltBundle = {
  file: string;
  platform: Platform;
  bytes: number;
  gzipBytes: number;
  /** Every source file in the bundle, relative to the repository. */
  inputs: string[];
};

export async function buildClient(outdir: string): Promise<BuiltBundle[]> {
  mkdirSync(outdir, { recursive: true });
  return Promise.all(
    BUNDLES.map(async (bundle) => {
      const result = await build({
        entryPoints: [join(HERE, bundle.entry)],
        bundle: true,
        write: false,
        metafile: true,
        format: bundle.format,
        platform: bundle.platform,
        // Browsers of the last few years; the few newer operators are lowered.
        target: bundle.platform === 'browser' ? 'es2020' : 'node22',
        minify: bundle.platform === 'browser',
        legalComments: 'none',
        logLevel: 'silent',
      });
      const code = result.outputFiles[0]?.contents ?? new Uint8Array();
      writeFileSync(join(outdir, bundle.file), code);
      return {
        file: bundle.file,
        platform: bundle.platform,
        bytes: code.length,
        gzipBytes: gzipSync(code, { level: 9 }).length,
        inputs: Object.keys(result.metafile.inputs).map((input) => relative(ROOT, resolve(input))),
      };
    }),
  );
}

/** Why the bundles may not ship: a browser bundle over budget, or anything bundled from outside functions/. */
export function bundleProblems(bundles: readonly BuiltBundle[], budgetBytes = BUDGET_BYTES): string[] {
  return bundles.flatMap((bundle) => [
    ...(bundle.platform === 'browser' && bundle.gzipBytes > budgetBytes
      ? [`${bundle.file} is ${bundle.gzipBytes} bytes min+gzip; the budget is ${budgetBytes}`]
      : []),
    ...bundle.inputs
      .filter((input) => !input.startsWith('functions/'))
      .map((input) => `${bundle.file} bundles ${input}: the client has no runtime dependencies`),
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(ROOT, 'dist/client'));
  const bundles = await buildClient(outdir);
  for (const bundle of bundles) {
    const size = bundle.platform === 'browser' ? `, ${bundle.gzipBytes} min+gzip (budget ${BUDGET_BYTES})` : '';
    process.stdout.write(`client: ${relative(process.cwd(), join(outdir, bundle.file))} ${bundle.bytes} bytes${size}\n`);
  }
  const problems = bundleProblems(bundles);
  for (const problem of problems) process.stderr.write(`client: ${problem}\n`);
  if (problems.length) process.exit(1);
}
