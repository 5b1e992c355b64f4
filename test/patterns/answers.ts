import { expect } from 'vitest';
import type { SqlRow, SqlValue } from '../../functions/warehouse/ports.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Expects an answer to hold exactly the expected rows, in any order and with exactly their columns:
 * numbers to 6 decimals (a hand-worked 1/6 against a float), timestamps as instants.
 */
export function expectRows(actual: SqlRow[], expected: SqlRow[], keys: string[]): void {
  const order = (rows: SqlRow[]) => rows.toSorted((a, b) => keyOf(a, keys).localeCompare(keyOf(b, keys)));
  const got = order(actual);
  const want = order(expected);
  expect(got.map((r) => keyOf(r, keys))).toEqual(want.map((r) => keyOf(r, keys)));
  for (const [i, row] of want.entries()) {
    const other = got[i] as SqlRow;
    expect(Object.keys(other).sort(), keyOf(row, keys)).toEqual(Object.keys(row).sort());
    for (const [column, value] of Object.entries(row)) expectValue(other[column] ?? null, value, `${keyOf(row, keys)} ${column}`);
  }
}

function expectValue(actual: SqlValue, expected: SqlValue, where: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(actual, where).toBeCloseTo(expected, 6);
  } else if (typeof expected === 'string' && ISO.test(expected) && typeof actual === 'string') {
    expect(new Date(actual).toISOString(), where).toBe(new Date(expected).toISOString());
  } else {
    expect(actual, where).toEqual(expected);
  }
}

function keyOf(row: SqlRow, keys: string[]): string {
  return keys.map((k) => String(row[k])).join('|');
}
