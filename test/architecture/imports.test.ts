import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const FUNCTIONS = join(import.meta.dirname, '../../functions');

/** A function's descriptor, `<folder>/function.ts` (or `<folder>/<name>-function.ts`): a room of its own, one layer for all. */
const DESCRIPTOR = /^[\w-]+\/([\w-]+-)?function\.ts$/;
const DESCRIPTORS = '<folder>/function.ts';
/** A folder holding a descriptor is a function's folder: a feature room, listed below or not. */
const FUNCTION_FOLDERS = '<a folder with a function.ts>';

/**
 * The rooms of functions/, lowest first: a module may import only from a lower layer (or its own
 * room). A room is a folder, or a single file where one file of a folder sits elsewhere (the pure
 * patterns beside the patterns job; search's entry file, which builds the search service's adapters;
 * each function's descriptor, `DESCRIPTORS`). A file in no room fails the test: a new room is placed
 * here first.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['kernel'],
  ['events', 'logging'],
  ['http', 'warehouse', 'privacy', 'experiments', 'identity'],
  ['jobs', 'patterns/patterns.ts'],
  ['learn'],
  ['collect', 'ingest', 'users', 'operators', 'search', 'patterns', 'erasure', 'retention', 'metrics', 'client', FUNCTION_FOLDERS],
  // The backtest replays history through the features' own code: learning and the patterns job.
  ['history/backtest.ts'],
  // Adapters implement the ports of any room below; nothing below imports them.
  ['adapters/gcp', 'adapters/local'],
  ['config.ts'],
  // What the entry file builds every function from: the clients and adapters of the process, and the kit a
  // function describes itself with.
  ['platform.ts'],
  ['descriptor.ts'],
  // Each function's descriptor: its settings, and its handler given the adapters it asks the platform for.
  [DESCRIPTORS],
  ['registry.ts'],
  // Entry files: they read settings, build the adapters and hand them to the rooms below.
  ['index.ts', 'search/index.ts'],
  ['local'],
];

type Edge = { from: string; to: string };

const MODULES = readdirSync(FUNCTIONS, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
const DESCRIBED = new Set(MODULES.filter((file) => DESCRIPTOR.test(file)).map((file) => dirname(file)));

/** Every relative import of every module: import and export-from declarations, `import type`, and `import()`. */
function importEdges(): Edge[] {
  return MODULES.flatMap((file) =>
    ts
      .preProcessFile(readFileSync(join(FUNCTIONS, file), 'utf8'), true, true)
      .importedFiles.map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ from: file, to: normalize(join(dirname(file), specifier)) })),
  );
}

/** The most specific room a module is in: its own file's entry, else its nearest folder's. */
function roomOf(file: string): string | undefined {
  if (DESCRIPTOR.test(file)) return file;
  const rooms = LAYERS.flat();
  const candidates = [file, ...ancestors(file)];
  return candidates.find((candidate) => rooms.includes(candidate)) ?? candidates.find((candidate) => DESCRIBED.has(candidate));
}

function ancestors(file: string): string[] {
  const folders: string[] = [];
  for (let folder = dirname(file); folder !== '.'; folder = dirname(folder)) folders.push(folder);
  return folders;
}

/** The layer a room is listed in: a descriptor under `DESCRIPTORS`, a function's folder not listed by name under `FUNCTION_FOLDERS`. */
function layerOf(room: string): number {
  let listed = room;
  if (DESCRIPTOR.test(room)) listed = DESCRIPTORS;
  else if (!LAYERS.flat().includes(room) && DESCRIBED.has(room)) listed = FUNCTION_FOLDERS;
  return LAYERS.findIndex((rooms) => rooms.includes(listed));
}
/**
 * A module's folder, as the check for folders that import each other counts it. The files at the top of functions/
 * are single-file rooms of their own (the settings, the platform, the registry, the entry file): each counts apart,
 * since the registry lists the descriptors that read the settings.
 */
const folderOf = (file: string) => (dirname(file) === '.' ? file : `${dirname(file)}/`);
const show = (edge: Edge) => `${edge.from} → ${edge.to}`;

describe('the import graph of functions/', () => {
  const edges = importEdges();

  it('reads the imports it checks', () => {
    // A broken reader would find nothing and pass everything.
    expect(edges).toContainEqual({ from: 'events/schema.ts', to: 'kernel/shopper-id.ts' });
    // `import type`, and `import()`.
    expect(edges).toContainEqual({ from: 'collect/ports.ts', to: 'events/messages.ts' });
    expect(edges).toContainEqual({ from: 'local/serve.ts', to: 'index.ts' });
  });

  it('places every module in a room', () => {
    expect(MODULES.filter((file) => roomOf(file) === undefined)).toEqual([]);
  });

  it('has no import from a room to one in the same or a higher layer', () => {
    const upward = edges.flatMap((edge) => {
      const [from, to] = [roomOf(edge.from), roomOf(edge.to)];
      if (from === undefined || to === undefined || from === to || layerOf(to) < layerOf(from)) return [];
      return [`${show(edge)} (${from}, layer ${layerOf(from)}, imports ${to}, layer ${layerOf(to)})`];
    });
    expect(upward).toEqual([]);
  });

  it('has no two folders that import each other', () => {
    const pairs = new Set(edges.map((edge) => `${folderOf(edge.from)} → ${folderOf(edge.to)}`));
    const mutual = [...pairs].filter((pair) => {
      const [a, b] = pair.split(' → ');
      return a !== b && pairs.has(`${b} → ${a}`);
    });
    expect(mutual.sort()).toEqual([]);
  });
});
