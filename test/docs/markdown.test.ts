import { describe, expect, it } from 'vitest';
import { anchors, codeNames, linkTargets, tableUnder, tables } from './markdown.ts';

describe('reading markdown as GitHub renders it', () => {
  it('gives each heading the anchor GitHub gives it, repeats numbered', () => {
    const page = [
      '# Batch patterns (`patterns`)',
      "## Erasure on a shopper's behalf (`operators`)",
      '## Tokens, jobs and the smoke check',
      '## `npm test`',
      '## Café & crème',
      '## Events',
      '### Events',
      '```sh',
      '# not a heading',
      '```',
    ].join('\n');
    expect([...anchors(page)]).toEqual([
      'batch-patterns-patterns',
      'erasure-on-a-shoppers-behalf-operators',
      'tokens-jobs-and-the-smoke-check',
      'npm-test',
      'café--crème',
      'events',
      'events-1',
    ]);
  });

  it('finds inline and reference links outside code, and none inside it', () => {
    const page = [
      'See [the docs](docs/events.md#limits) and [`functions/`](functions/) or [site](https://example.com "title").',
      'Not `[a](b.md)` nor:',
      '```md',
      '[c](d.md)',
      '```',
      '[ref]: docs/local.md',
    ].join('\n');
    expect(linkTargets(page)).toEqual(['docs/events.md#limits', 'functions/', 'https://example.com', 'docs/local.md']);
  });

  it('splits table rows on every unescaped pipe, inside code spans too', () => {
    const page = ['## Weights', '', '| a | b |', '| --- | --- |', '| `x \\| y` | 1 |', '| `x | y` | 2 |'].join('\n');
    const [table] = tables(page);
    expect(table?.header).toEqual(['a', 'b']);
    expect(table?.rows).toEqual([
      ['`x | y`', '1'],
      ['`x', 'y`', '2'],
    ]);
  });

  it('finds the table under a heading, and none that belongs to the next heading', () => {
    const page = [
      '## Stack settings',
      '',
      'Text.',
      '',
      '| key | default |',
      '| --- | --- |',
      '| `a` / `b` | 1 / 2 |',
      '## Other',
      '| k |',
      '| --- |',
      '| `c` |',
    ].join('\n');
    expect(tableUnder(page, 'Stack settings')?.rows.flatMap((row) => codeNames(row[0] ?? ''))).toEqual(['a', 'b']);
    expect(tableUnder(['## Empty', 'No table here.', '## Other', '| k |', '| --- |'].join('\n'), 'Empty')).toBeUndefined();
  });
});
