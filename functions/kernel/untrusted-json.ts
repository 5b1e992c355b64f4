/**
 * JSON that arrived from outside. `JSON.parse` reads any depth without recursing, but
 * `JSON.stringify` and every other recursive walk overflow the stack at a few thousand levels,
 * so a value is measured here without recursion before anything recursive touches it, and
 * re-serialized only within a depth and a byte bound.
 */

/** Whether `value` has more than `maxDepth` levels of objects and arrays. Iterative: any depth is safe. */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.node !== 'object' || next.node === null) continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Object.values(next.node)) {
      if (typeof child === 'object' && child !== null) pending.push({ node: child, depth });
    }
  }
  return false;
}

export type BoundedJson = {
  text: string;
  /** False when a level or the bytes beyond the bounds were left out. */
  complete: boolean;
};

/**
 * `JSON.stringify(value)` of a value read by `JSON.parse`, within bounds: objects and arrays nested
 * deeper than `maxDepth` become a marker string, and the text stops at `maxBytes` of UTF-8 (without
 * splitting a character), so it is valid JSON only when `complete`. Recursion never goes deeper than
 * `maxDepth`.
 */
export function boundedJson(value: unknown, bounds: { maxDepth: number; maxBytes: number }): BoundedJson {
  const out = createBoundedWriter(bounds.maxBytes);
  let complete = true;
  const write = (node: unknown, depth: number): boolean => {
    if (typeof node !== 'object' || node === null) return out.write(scalarJson(node));
    if (depth >= bounds.maxDepth) {
      complete = false;
      return out.write(JSON.stringify(`[nested deeper than ${bounds.maxDepth} levels]`));
    }
    if (Array.isArray(node)) {
      if (!out.write('[')) return false;
      for (const [i, item] of node.entries()) {
        if ((i > 0 && !out.write(',')) || !write(item, depth + 1)) return false;
      }
      return out.write(']');
    }
    if (!out.write('{')) return false;
    let first = true;
    for (const [key, item] of Object.entries(node)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!out.write(`${first ? '' : ','}${JSON.stringify(key)}:`) || !write(item, depth + 1)) return false;
      first = false;
    }
    return out.write('}');
  };
  const whole = write(value, 0);
  return { text: out.text(), complete: complete && whole };
}

/** A scalar as `JSON.stringify` writes it; what JSON cannot hold becomes `null`, and nothing throws. */
function scalarJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  // undefined for a function or a symbol, whatever the declared type says.
  const text: string | undefined = JSON.stringify(value);
  return text ?? 'null';
}

function createBoundedWriter(maxBytes: number) {
  const parts: string[] = [];
  let bytes = 0;
  return {
    /** Appends `piece`, or as much of it as fits; false once the bound is reached. */
    write(piece: string): boolean {
      const size = Buffer.byteLength(piece);
      if (bytes + size <= maxBytes) {
        parts.push(piece);
        bytes += size;
        return true;
      }
      parts.push(cutUtf8(piece, maxBytes - bytes));
      bytes = maxBytes;
      return false;
    },
    text: () => parts.join(''),
  };
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that ends on a whole character. */
function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.max(0, maxBytes);
  // 0b10xxxxxx bytes continue a character: step back to the start of the one being cut.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A reason for text that is not JSON, in our words: the parser's message quotes the input and
 * changes between Node versions, so only the position it names is kept.
 */
export function describeJsonSyntaxError(error: unknown): string {
  const position = error instanceof SyntaxError ? /\bposition (\d+)/.exec(error.message)?.[1] : undefined;
  return position === undefined ? 'not valid JSON' : `not valid JSON (at position ${position})`;
}
