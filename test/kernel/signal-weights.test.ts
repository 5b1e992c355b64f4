import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RANKING_WEIGHTS,
  LEARNING_SIGNALS,
  RANKING_SIGNALS,
  type LearningEvent,
  type LearningSignals,
} from '../../functions/kernel/signal-weights.ts';
import { PREFERENCE_SCORE_PARAMS } from '../../functions/patterns/patterns.ts';
import { documentationFiles, headings, tableUnder, type Table } from '../docs/markdown.ts';

/**
 * The docs show the weights of functions/kernel/signal-weights.ts in tables, each found under its heading
 * wherever it lives in README.md and docs/ (as the settings tables are): each heading must be on one
 * page, and the table under it must hold exactly the source's rows and numbers.
 */
const HEADINGS = { learning: 'Signal strengths', batch: 'Brand and category scores', ranking: 'Ranking weights' } as const;

type Doc = { file: string; text: string };

function documentation(): Doc[] {
  return documentationFiles().map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** The table under the heading, on the one page that has it; a missing or repeated heading or table is a mismatch. */
function tableNamed(docs: readonly Doc[], heading: string, mismatches: string[]): (Table & { where: string }) | null {
  const pages = docs.filter(({ text }) => headings(text).includes(heading));
  if (pages.length !== 1) {
    mismatches.push(`the heading "${heading}" is on ${pages.length} pages of README.md and docs/, not one`);
    return null;
  }
  const { file, text } = pages[0]!;
  const table = tableUnder(text, heading);
  if (!table) {
    mismatches.push(`${file}: no table under "${heading}"`);
    return null;
  }
  return { ...table, where: `${file}:${table.line}` };
}

/** A weight as the docs write it: a decimal, with − or - for negatives; `—` for none, when allowed. */
function number(cell: string, dashIsZero: boolean): number {
  if (dashIsZero && cell === '—') return 0;
  const text = cell.replace('−', '-');
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
}

/** `name` in backticks, as the docs write a code name. */
function codeName(cell: string): string | null {
  return /^`([^`]+)`$/.exec(cell)?.[1] ?? null;
}

/** The learning table's rows, by what the docs call each event. */
const LEARNING_ROWS: Record<string, LearningEvent> = {
  'shown in search results': 'shown',
  'product viewed': 'view',
  'search result clicked': 'click',
  'added to cart': 'cart_add',
  'removed from cart': 'cart_remove',
  ordered: 'order',
};
const LEARNING_COLUMNS: Record<string, keyof LearningSignals> = {
  product: 'product',
  brand: 'brand',
  category: 'category',
  'dietary tags': 'dietary',
};

/** Every difference between the docs' weight tables and the source, as readable lines; none when they agree. */
function weightTableMismatches(docs: readonly Doc[]): string[] {
  const mismatches: string[] = [];

  const learning = tableNamed(docs, HEADINGS.learning, mismatches);
  if (learning) {
    const { where, header, rows } = learning;
    const columns = header.slice(1).map((name) => LEARNING_COLUMNS[name]);
    if (columns.length !== 4 || columns.some((c) => c === undefined))
      mismatches.push(`${where}: columns ${header.join(', ')}, not signal, product, brand, category, dietary tags`);
    const seen = new Set<string>();
    for (const [label = '', ...cells] of rows) {
      const event = LEARNING_ROWS[label];
      if (!event) {
        mismatches.push(`${where}: row "${label}" is no event of LEARNING_SIGNALS`);
        continue;
      }
      seen.add(event);
      cells.forEach((cell, c) => {
        const column = columns[c];
        if (column && number(cell, true) !== LEARNING_SIGNALS[event][column]) {
          mismatches.push(
            `${where}: ${label} / ${header[c + 1]} is ${cell}, LEARNING_SIGNALS.${event}.${column} is ${LEARNING_SIGNALS[event][column]}`,
          );
        }
      });
    }
    for (const event of Object.keys(LEARNING_SIGNALS)) if (!seen.has(event)) mismatches.push(`${where}: no row for ${event}`);
  }

  /** A table whose first column names each entry of `source` in backticks (after `prefix`), its value in `valueColumn`. */
  const keyed = (heading: string, valueColumn: string, source: Readonly<Record<string, number>>, prefix: string) => {
    const table = tableNamed(docs, heading, mismatches);
    if (!table) return;
    const { where, header, rows } = table;
    const column = header.indexOf(valueColumn);
    if (column < 1) {
      mismatches.push(`${where}: no "${valueColumn}" column`);
      return;
    }
    const seen = new Set<string>();
    for (const cells of rows) {
      const code = codeName(cells[0] ?? '');
      const name = code?.startsWith(prefix) ? code.slice(prefix.length) : '';
      if (!Object.hasOwn(source, name)) {
        mismatches.push(`${where}: row ${cells[0]} is not in the source`);
        continue;
      }
      seen.add(name);
      if (number(cells[column] ?? '', false) !== source[name])
        mismatches.push(`${where}: ${cells[0]} is ${cells[column]}, the source says ${source[name]}`);
    }
    for (const name of Object.keys(source)) if (!seen.has(name)) mismatches.push(`${where}: no row for ${prefix}${name}`);
  };
  keyed(HEADINGS.batch, 'value', PREFERENCE_SCORE_PARAMS, '@');
  keyed(HEADINGS.ranking, 'default weight', DEFAULT_RANKING_WEIGHTS, '');

  return mismatches;
}

describe('the docs show the signal weights of functions/kernel/signal-weights.ts', () => {
  it('in the learning, batch preference and ranking tables, number for number', () => {
    expect(weightTableMismatches(documentation())).toEqual([]);
  });

  it('and the check names any difference: a changed number, a missing row, a lost heading', () => {
    const docs = documentation();
    const edited = (from: string, to: string) => docs.map((doc) => ({ ...doc, text: doc.text.replace(from, to) }));
    expect(weightTableMismatches(edited('| added to cart | 0.7 |', '| added to cart | 0.8 |'))).toEqual([
      expect.stringMatching(/added to cart \/ product is 0\.8, LEARNING_SIGNALS\.cart_add\.product is 0\.7$/),
    ]);
    expect(weightTableMismatches(edited('| `@click_weight` | 0.3 |', '| `@click_weight` | 0.30001 |'))).toEqual([
      expect.stringMatching(/`@click_weight` is 0\.30001/),
    ]);
    expect(weightTableMismatches(edited('| `explicit` | 2 |', '| `explicit_like` | 2 |'))).toEqual([
      expect.stringMatching(/row `explicit_like` is not in the source/),
      expect.stringMatching(/no row for explicit$/),
    ]);
    expect(weightTableMismatches(edited('### Ranking weights', '### Weights'))).toEqual([
      expect.stringMatching(/"Ranking weights" is on 0 pages/),
    ]);
  });

  it('for every ranking signal and learning event there is', () => {
    expect(Object.keys(DEFAULT_RANKING_WEIGHTS)).toEqual([...RANKING_SIGNALS]);
    expect(Object.values(LEARNING_ROWS).sort()).toEqual(Object.keys(LEARNING_SIGNALS).sort());
  });
});

describe('the batch preference score', () => {
  // The patterns fixtures (test/patterns/fixtures.ts) are worked out by hand with these.
  it('weighs a purchase 0.9, a cart add 0.6 and a click 0.3, counts from 2, and keeps 10', () => {
    expect(PREFERENCE_SCORE_PARAMS).toEqual({
      purchase_weight: 0.9,
      cart_add_weight: 0.6,
      click_weight: 0.3,
      min_preference_score: 2,
      preferences_kept: 10,
    });
  });
});
