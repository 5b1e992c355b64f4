/** One record of a CSV file: its fields, or why it cannot be read. `line` is the file line it starts on (1-based). */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * The records of CSV text (RFC 4180: comma-separated, `"…"` quoting with `""` for a quote, records ending with LF or
 * CRLF, a quoted field may span lines), read as the text streams in: memory holds one record, never the file. A
 * record longer than `maxRecordChars` (or a quote never closed) is answered as an error and skipped, and reading
 * goes on with the next line. Blank lines are skipped; a byte order mark at the start is dropped.
 */
export async function* csvRecords(chunks: AsyncIterable<string>, options: { maxRecordChars: number }): AsyncGenerator<CsvRecord> {
  const { maxRecordChars } = options;
  let buffer = '';
  let lineNo = 0;
  let first = true;
  /** A quoted field that spans lines: the record so far, and where it began (a holder: `take` changes it). */
  const open: { pending: { text: string; line: number } | null } = { pending: null };
  /** Inside a line too long to keep: everything up to its end is dropped. */
  let discarding = false;

  function* take(rawLine: string): Generator<CsvRecord> {
    lineNo += 1;
    const text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const { pending } = open;
    if (pending) {
      pending.text += `\n${text}`;
      if (pending.text.length > maxRecordChars) {
        yield { line: pending.line, error: `the record is longer than ${maxRecordChars} characters (is a quote left open?)` };
        open.pending = null;
        return;
      }
      const parsed = parseRecord(pending.text);
      if (parsed === 'open') return;
      yield { line: pending.line, ...parsed };
      open.pending = null;
      return;
    }
    if (text === '') return;
    if (!text.includes('"')) {
      yield { line: lineNo, fields: text.split(',') };
      return;
    }
    const parsed = parseRecord(text);
    if (parsed === 'open') open.pending = { text, line: lineNo };
    else yield { line: lineNo, ...parsed };
  }

  for await (let chunk of chunks) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    buffer += chunk;
    let start = 0;
    for (let newline = buffer.indexOf('\n', start); newline !== -1; newline = buffer.indexOf('\n', start)) {
      const rawLine = buffer.slice(start, newline);
      start = newline + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      yield* take(rawLine);
    }
    buffer = buffer.slice(start);
    if (!discarding && buffer.length > maxRecordChars) {
      lineNo += 1;
      yield { line: open.pending?.line ?? lineNo, error: `the record is longer than ${maxRecordChars} characters` };
      open.pending = null;
      buffer = '';
      discarding = true;
    } else if (discarding) {
      buffer = '';
    }
  }
  if (!discarding && buffer !== '') yield* take(buffer);
  if (open.pending) yield { line: open.pending.line, error: 'a quoted field is never closed' };
}

/** One record's text (which may hold line breaks inside quotes): its fields, an error, or `open` while a quote is unclosed. */
function parseRecord(text: string): { fields: string[] } | { error: string } | 'open' {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charAt(i) === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote === -1) return 'open';
        value += text.slice(j, quote);
        if (text.charAt(quote + 1) === '"') {
          value += '"';
          j = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return { fields };
      if (text.charAt(i) !== ',') return { error: `field ${fields.length} has text after its closing quote` };
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      const value = comma === -1 ? text.slice(i) : text.slice(i, comma);
      if (value.includes('"')) return { error: `field ${fields.length + 1} has a quote but does not start with one` };
      fields.push(value);
      if (comma === -1) return { fields };
      i = comma + 1;
    }
  }
}
