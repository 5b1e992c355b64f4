import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as settings from '../../functions/config.ts';
import { FUNCTIONS, SETTING_NAMES } from '../../functions/registry.ts';
import { LOCAL_SETTING_NAMES, localPorts } from '../../functions/local/local-functions.ts';
import { loadConfig } from '../../infra/config.ts';
import { PULUMI_PROJECT, startMocks } from '../infra/run-program.ts';
import { namesRead } from '../support/names-read.ts';
import { anchors, codeNames, documentationFiles, linkTargets, pageWithHeading, tableUnder, tables } from './markdown.ts';

const README_MAX_BYTES = 30_000;

/** The headings whose tables list the settings; the tests find them wherever they live in docs/. */
const TABLES = { functions: 'Function settings', local: 'Local stack settings', stack: 'Stack settings' } as const;

/** Every name in the first cell of the table under `heading`, once each. */
function documented(heading: string): string[] {
  const { file, markdown } = pageWithHeading(heading);
  const table = tableUnder(markdown, heading);
  if (!table) throw new Error(`${file}: no table under "${heading}"`);
  const names = table.rows.flatMap((row) => codeNames(row[0] ?? ''));
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  expect(repeated, `${file}: listed twice under "${heading}"`).toEqual([]);
  return names;
}

/** What the two lists do not share, each side named, so a failure says which way to fix it. */
function mismatch(documentedNames: readonly string[], read: readonly string[]) {
  return {
    readButUndocumented: read.filter((name) => !documentedNames.includes(name)).sort(),
    documentedButNeverRead: documentedNames.filter((name) => !read.includes(name)).sort(),
  };
}

describe('the README and docs/', () => {
  it('keep the README short enough to read in five minutes', () => {
    expect(statSync('README.md').size).toBeLessThan(README_MAX_BYTES);
  });

  it.each(documentationFiles())('%s: every relative link reaches a file, and its #anchor a heading there', (file) => {
    const broken: string[] = [];
    for (const target of linkTargets(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#', 2);
      const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      if (!existsSync(resolved)) {
        broken.push(`${target}: no ${resolved}`);
      } else if (
        anchor !== undefined &&
        !(resolved.endsWith('.md') && anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor)))
      ) {
        broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(documentationFiles())('%s: every table row has as many cells as its header, as GitHub draws it', (file) => {
    const ragged = tables(readFileSync(file, 'utf8')).flatMap(({ line, header, rows }) =>
      rows.flatMap((row, i) =>
        row.length === header.length ? [] : [`line ${line + 2 + i}: ${row.length} cells, header ${header.length}`],
      ),
    );
    expect(ragged).toEqual([]);
  });

  it('link every page of docs/ from the README', () => {
    const linked = linkTargets(readFileSync('README.md', 'utf8')).map((target) => normalize(target.split('#')[0] ?? ''));
    const pages = documentationFiles().filter((file) => file !== 'README.md');
    expect(pages.filter((page) => !linked.includes(page))).toEqual([]);
  });

  it('map every folder of functions/ in the README layout', () => {
    const readme = readFileSync('README.md', 'utf8');
    const layout = readme.slice(readme.indexOf('\n## Layout'));
    const mapped = linkTargets(layout).map((target) => normalize(target).replace(/\/$/, ''));
    const folders = readdirSync('functions', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `functions/${entry.name}`);
    expect(folders.filter((folder) => !mapped.includes(folder))).toEqual([]);
  });
});

describe('the documented settings', () => {
  it('name every environment variable the functions read, and nothing else', () => {
    expect(mismatch(documented(TABLES.functions), SETTING_NAMES)).toEqual({ readButUndocumented: [], documentedButNeverRead: [] });
  });

  it('rest on a SETTING_NAMES that holds every name any settings loader asks for', () => {
    // Every `load…` export of functions/config.ts, and every descriptor's loader (some functions' own sections).
    const loaders = [
      ...Object.entries(settings).flatMap(([name, value]): [string, (env: NodeJS.ProcessEnv) => unknown][] =>
        name.startsWith('load') && typeof value === 'function' ? [[name, (env) => Reflect.apply(value, undefined, [env])]] : [],
      ),
      ...FUNCTIONS.map((fn): [string, (env: NodeJS.ProcessEnv) => unknown] => [fn.name, fn.settings.load]),
    ];
    expect(loaders.length).toBeGreaterThan(5);
    const asked = [...new Set(loaders.flatMap(([, load]) => namesRead(load)))];
    expect(asked.filter((name) => !SETTING_NAMES.includes(name))).toEqual([]);
    expect(asked).toContain('GOOGLE_CLOUD_PROJECT');
  });

  it('name every environment variable of the local stack, and nothing else', () => {
    expect(mismatch(documented(TABLES.local), LOCAL_SETTING_NAMES)).toEqual({ readButUndocumented: [], documentedButNeverRead: [] });
    expect(namesRead(localPorts).filter((name) => !LOCAL_SETTING_NAMES.includes(name))).toEqual([]);
  });

  describe('of the Pulumi stack', () => {
    const readers = ['get', 'getNumber', 'getBoolean', 'getObject', 'getSecret', 'require', 'requireNumber', 'requireSecret'] as const;

    beforeAll(async () => {
      await startMocks({ preview: true });
    });

    afterAll(() => {
      vi.restoreAllMocks();
    });

    it('name every key the program reads, and nothing else', () => {
      const spies = readers.map((reader) => vi.spyOn(pulumi.Config.prototype, reader));
      loadConfig();
      const read = new Set(
        spies.flatMap((spy) =>
          spy.mock.calls.map((call, i) => {
            const config = spy.mock.contexts[i] as pulumi.Config;
            return config.name === PULUMI_PROJECT ? String(call[0]) : `${config.name}:${String(call[0])}`;
          }),
        ),
      );
      expect(read.size).toBeGreaterThan(40);
      expect(mismatch(documented(TABLES.stack), [...read])).toEqual({ readButUndocumented: [], documentedButNeverRead: [] });
    });
  });
});
