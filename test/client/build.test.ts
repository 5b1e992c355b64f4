import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_BYTES, buildClient, bundleProblems, type BuiltBundle } from '../../functions/client/build.ts';
import type { createTracker } from '../../functions/client/node.ts';

const outdir = mkdtempSync(join(tmpdir(), 'client-build-'));
let bundles: BuiltBundle[] = [];

beforeAll(async () => {
  bundles = await buildClient(outdir);
});

const bundle = (file: string) => {
  const found = bundles.find((b) => b.file === file);
  if (!found) throw new Error(`no bundle ${file}`);
  return found;
};

describe('the client’s bundles', () => {
  it('are within the browser budget, minified and gzipped', () => {
    for (const file of ['grocery-loop.min.js', 'browser.mjs']) expect(bundle(file).gzipBytes).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(bundleProblems(bundles)).toEqual([]);
  });

  it('hold only the project’s own code: no zod, no other dependency', () => {
    for (const built of bundles) {
      expect(built.inputs.filter((input) => !input.startsWith('functions/'))).toEqual([]);
      expect(built.inputs).toContain('functions/events/limits.ts');
      expect(built.inputs).not.toContain('functions/events/schema.ts');
      expect(readFileSync(join(outdir, built.file), 'utf8')).not.toMatch(/zod|ZodError|safeParse/);
    }
  });

  it('fail the build over budget, or with a dependency inside', () => {
    const browser = bundle('grocery-loop.min.js');
    expect(bundleProblems([{ ...browser, gzipBytes: BUDGET_BYTES + 1 }])).toEqual([
      `grocery-loop.min.js is ${BUDGET_BYTES + 1} bytes min+gzip; the budget is ${BUDGET_BYTES}`,
    ]);
    expect(bundleProblems([{ ...browser, inputs: [...browser.inputs, 'node_modules/zod/v4/classic/schemas.js'] }])).toEqual([
      'grocery-loop.min.js bundles node_modules/zod/v4/classic/schemas.js: the client has no runtime dependencies',
    ]);
  });

  it('are built and measured by npm run build', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toContain('node functions/client/build.ts');
    const run = spawnSync(process.execPath, ['functions/client/build.ts', join(outdir, 'cli')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`grocery-loop\\.min\\.js \\d+ bytes, ${bundle('grocery-loop.min.js').gzipBytes} min\\+gzip \\(budget ${BUDGET_BYTES}\\)`),
    );
  });

  it('are as large as the README and docs/client.md say, to a tenth of a KB', () => {
    const measured = bundle('grocery-loop.min.js').gzipBytes;
    for (const file of ['README.md', 'docs/client.md']) {
      const stated = /\*\*(\d+\.\d) KB\*\* minified and gzipped/.exec(readFileSync(file, 'utf8'))?.[1];
      expect(stated, `${file} states the size`).toBeDefined();
      expect(Number(stated), file).toBeCloseTo(measured / 1000, 1);
    }
  });

  it('give a script tag the global GroceryLoop', () => {
    const page: { GroceryLoop?: { createTracker?: unknown }; TextEncoder: typeof TextEncoder } = { TextEncoder };
    runInNewContext(readFileSync(join(outdir, 'grocery-loop.min.js'), 'utf8'), page);
    expect(typeof page.GroceryLoop?.createTracker).toBe('function');
  });

  it('give Node a tracker that sends its events before it shuts down', async () => {
    const { createTracker: create } = (await import(pathToFileURL(join(outdir, 'node.mjs')).href)) as {
      createTracker: typeof createTracker;
    };
    const bodies: string[] = [];
    const tracker = create({
      endpoint: 'https://collect.test',
      token: 't',
      flushIntervalMs: 60_000,
      fetch: async (_, init) => (
        bodies.push(init.body ?? ''),
        { status: 202, headers: { get: () => null }, json: async () => ({ rejected: [] }) }
      ),
    });
    tracker.trackPreference({ preference: 'brand', value: 'Oatly', action: 'like' });
    await expect(tracker.shutdown()).resolves.toEqual({ pending: 0 });
    expect(JSON.parse(bodies[0] ?? '')).toMatchObject({ events: [{ type: 'preference_updated', context: { platform: 'server' } }] });
  });
});
