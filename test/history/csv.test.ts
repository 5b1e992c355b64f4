import { describe, expect, it } from 'vitest';
import { csvRecords, type CsvRecord } from '../../functions/history/csv.ts';

async function read(chunks: string[], maxRecordChars = 1_000): Promise<CsvRecord[]> {
  async function* stream() {
    yield* chunks;
  }
  const records: CsvRecord[] = [];
  for await (const record of csvRecords(stream(), { maxRecordChars })) records.push(record);
  return records;
}

describe('csvRecords', () => {
  it('reads plain records with their line numbers, skipping blank lines and a byte order mark', async () => {
    expect(await read(['\ufeffa,b,c\r\n1,2,3\n\n4,,6\n'])).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
      { line: 4, fields: ['4', '', '6'] },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks, whatever the chunks', async () => {
    const text = 'x,"a, ""b""",y\n"multi\nline",z\nlast,one';
    const whole = await read([text]);
    expect(whole).toEqual([
      { line: 1, fields: ['x', 'a, "b"', 'y'] },
      { line: 2, fields: ['multi\nline', 'z'] },
      { line: 4, fields: ['last', 'one'] },
    ]);
    // Every split into two chunks reads the same records.
    for (let cut = 1; cut < text.length; cut += 1) expect(await read([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
  });

  it('answers a malformed record as an error on its line and goes on with the next', async () => {
    expect(await read(['a"b,c\n"x"y,z\nok,1\n'])).toEqual([
      { line: 1, error: 'field 1 has a quote but does not start with one' },
      { line: 2, error: 'field 1 has text after its closing quote' },
      { line: 3, fields: ['ok', '1'] },
    ]);
  });

  it('never holds more than one record: a longer line or an unclosed quote is an error, and reading goes on', async () => {
    const long = 'x'.repeat(50);
    expect(await read([`a,b\n${long.slice(0, 25)}`, `${long.slice(25)}\nc,d\n`], 20)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'the record is longer than 20 characters' },
      { line: 3, fields: ['c', 'd'] },
    ]);
    expect(await read(['"open\nmore\nand more\nstill,1\n'], 15)).toEqual([
      { line: 1, error: 'the record is longer than 15 characters (is a quote left open?)' },
      { line: 4, fields: ['still', '1'] },
    ]);
    expect(await read(['a,"never closed\n'])).toEqual([{ line: 1, error: 'a quoted field is never closed' }]);
  });
});
