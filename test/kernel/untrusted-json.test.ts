import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedJson, describeJsonSyntaxError, nestedDeeperThan } from '../../functions/kernel/untrusted-json.ts';

/** `levels` arrays inside each other, as JSON.parse builds them from `[[[…]]]`. */
function nestedArrays(levels: number): unknown {
  return JSON.parse('['.repeat(levels) + ']'.repeat(levels));
}

/** `levels` objects inside each other, `{"a":{"a":…}}`. */
function nestedObjects(levels: number): unknown {
  return JSON.parse('{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1));
}

describe('nestedDeeperThan', () => {
  it.each([
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ])('counts levels of %s, the outermost as one', (_name, nested) => {
    expect(nestedDeeperThan(nested(32), 32)).toBe(false);
    expect(nestedDeeperThan(nested(33), 32)).toBe(true);
  });

  it('counts the deepest branch, not the first', () => {
    expect(nestedDeeperThan({ a: 1, b: [2, { c: [[]] }], d: {} }, 5)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [2, { c: [[[]]] }], d: {} }, 5)).toBe(true);
  });

  it('treats scalars as no level at all', () => {
    for (const scalar of [null, 1, 'text', true]) expect(nestedDeeperThan(scalar, 0)).toBe(false);
  });

  it('measures 100,000 levels without overflowing the stack', () => {
    expect(nestedDeeperThan(nestedArrays(100_000), 32)).toBe(true);
  });
});

describe('boundedJson', () => {
  const roomy = { maxDepth: 32, maxBytes: 1024 * 1024 };

  it('writes what JSON.stringify writes for a value within its bounds', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        expect(boundedJson(value, roomy)).toEqual({ text: JSON.stringify(value), complete: true });
      }),
    );
  });

  it('replaces the levels beyond its depth with a marker and stays valid JSON', () => {
    const { text, complete } = boundedJson(nestedArrays(100_000), { maxDepth: 3, maxBytes: 1024 });
    expect(complete).toBe(false);
    expect(JSON.parse(text)).toEqual([[['[nested deeper than 3 levels]']]]);
  });

  it('stops at its byte bound without splitting a character', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 20 }), fc.integer({ min: 0, max: 64 }), (value, maxBytes) => {
        const whole = JSON.stringify(value);
        const { text, complete } = boundedJson(value, { maxDepth: 32, maxBytes });
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes);
        expect(whole.startsWith(text)).toBe(true);
        expect(complete).toBe(text === whole);
      }),
    );
  });

  it('stops walking once the bytes are spent', () => {
    const wide = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    const { text, complete } = boundedJson(wide, { maxDepth: 32, maxBytes: 20 });
    expect(text).toBe('[{"i":0},{"i":1},{"i');
    expect(complete).toBe(false);
  });
});

function syntaxErrorOf(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`${text} is JSON`);
}

describe('describeJsonSyntaxError', () => {
  it('names the position where the parser gives one', () => {
    expect(describeJsonSyntaxError(syntaxErrorOf('{bad'))).toBe('not valid JSON (at position 1)');
  });

  it('never quotes the input, as the parser does', () => {
    const error = syntaxErrorOf('{"events": [secret-token');
    expect(String(error)).toContain('secret');
    expect(describeJsonSyntaxError(error)).toBe('not valid JSON');
  });
});
