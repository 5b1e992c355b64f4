import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The documentation a reader follows: the README and every page of docs/, as paths from the repository root. */
export function documentationFiles(): string[] {
  const pages = readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join('docs', name));
  return ['README.md', ...pages];
}

/** A page's lines, with fenced code blocks blanked: nothing inside one is a heading, a link or a table. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (marker === undefined) return line;
      fence = marker;
      return '';
    }
    if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    return '';
  });
}

/** A heading's text as GitHub renders it: code spans and links keep their text, emphasis marks go. */
function headingText(raw: string): string {
  return raw
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*+/g, '')
    .trim();
}

/** The text of a heading line, or undefined for any other line. */
function headingOf(line: string): string | undefined {
  const text = /^#{1,6}\s+(.*?)(\s+#+)?\s*$/.exec(line)?.[1];
  return text === undefined ? undefined : headingText(text);
}

export function headings(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => headingOf(line) ?? []);
}

/**
 * GitHub's anchor for each heading (github-slugger): lower case, every character that is not a letter, mark, number,
 * `_`, `-` or space dropped, spaces made hyphens; a repeated anchor gets `-1`, `-2`, … in order.
 */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const text of headings(markdown)) {
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** The target of every inline or reference link outside code, in order. */
export function linkTargets(markdown: string): string[] {
  const prose = proseLines(markdown)
    .join('\n')
    .replace(/`+[^`\n]*`+/g, 'code');
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const reference = [...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)];
  return [...inline, ...reference].flatMap((match) => match[1] ?? []);
}

export type Table = { line: number; header: string[]; rows: string[][] };

/** Every table of a page: its header's cells, its body rows' cells, and the line it starts on (1-based). */
export function tables(markdown: string): Table[] {
  const lines = proseLines(markdown);
  const isRow = (i: number) => lines[i]?.startsWith('|') ?? false;
  const result: Table[] = [];
  lines.forEach((line, i) => {
    if (!isRow(i) || isRow(i - 1)) return;
    let end = i;
    while (isRow(end + 1)) end += 1;
    result.push({ line: i + 1, header: cells(line), rows: lines.slice(i + 2, end + 1).map(cells) });
  });
  return result;
}

/** The first table after the heading whose text is exactly `heading`, before the next heading. */
export function tableUnder(markdown: string, heading: string): Table | undefined {
  const lines = proseLines(markdown);
  const start = lines.findIndex((line) => headingOf(line) === heading);
  if (start === -1) return undefined;
  const nextHeading = lines.findIndex((line, i) => i > start && headingOf(line) !== undefined);
  const end = nextHeading === -1 ? lines.length : nextHeading;
  return tables(markdown).find((table) => table.line > start && table.line <= end);
}

/** A row's cells, split as GitHub splits them: on every `|` not escaped as `\|`, inside code spans too. */
function cells(row: string): string[] {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.replace(/\\\|/g, '|').trim());
}

/** The names in code spans of a cell: `` `a` / `b` `` → a, b. */
export function codeNames(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].flatMap((match) => match[1] ?? []);
}

/** The one page that holds a heading, for the tests that check a table wherever it lives. */
export function pageWithHeading(heading: string): { file: string; markdown: string } {
  const found = documentationFiles()
    .map((file) => ({ file, markdown: readFileSync(file, 'utf8') }))
    .filter(({ markdown }) => headings(markdown).includes(heading));
  const [page] = found;
  if (page === undefined || found.length > 1) {
    throw new Error(`expected one page with the heading "${heading}", found ${found.map((f) => f.file).join(', ') || 'none'}`);
  }
  return page;
}
