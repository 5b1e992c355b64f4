/** One line of a text file (1-based number), or a line too long to keep. */
export type TextLine = { line: number; text: string } | { line: number; tooLong: true };

/**
 * The lines of text as it streams in (LF or CRLF), holding one line at a time: a line longer than `maxChars` is
 * answered as too long and dropped, never kept whole. Blank lines are skipped; a byte order mark is dropped.
 */
export async function* textLines(chunks: AsyncIterable<string>, maxChars: number): AsyncGenerator<TextLine> {
  let buffer = '';
  let lineNo = 0;
  let first = true;
  let discarding = false;
  const emit = (raw: string): TextLine | null => {
    lineNo += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.length > maxChars) return { line: lineNo, tooLong: true };
    return text.trim() === '' ? null : { line: lineNo, text };
  };
  for await (let chunk of chunks) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    buffer += chunk;
    let start = 0;
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n', start)) {
      const raw = buffer.slice(start, newline);
      start = newline + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      const line = emit(raw);
      if (line) yield line;
    }
    buffer = buffer.slice(start);
    if (!discarding && buffer.length > maxChars) {
      lineNo += 1;
      yield { line: lineNo, tooLong: true };
      discarding = true;
    }
    if (discarding) buffer = '';
  }
  if (!discarding && buffer !== '') {
    const line = emit(buffer);
    if (line) yield line;
  }
}
