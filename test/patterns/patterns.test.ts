import { describe, expect, it } from 'vitest';
import { fingerprint, serializePatterns, type Patterns } from '../../functions/patterns/patterns.ts';

const PATTERNS: Patterns = {
  as_of: '2026-03-01T00:00:00.000Z',
  regular_items: [],
  brands: [{ name: 'Arla', score: 2.7, share: 1, purchases: 3, cart_adds: 0, clicks: 0 }],
  categories: [],
  price: null,
  schedule: null,
  dietary: [{ tag: 'vegan', share: 0.5, confidence: 0.1, tagged_lines: 1, lines: 2 }],
  bought_together: [],
};

describe('patterns fingerprints', () => {
  it('leave as_of out: the same patterns found on another night are the same', () => {
    expect(fingerprint({ ...PATTERNS, as_of: '2026-03-02T00:00:00.000Z' })).toBe(fingerprint(PATTERNS));
    expect(fingerprint({ ...PATTERNS, brands: [] })).not.toBe(fingerprint(PATTERNS));
    expect(fingerprint(PATTERNS)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('come with the JSON text from one serialization, equal to each computed alone', () => {
    for (const patterns of [PATTERNS, { ...PATTERNS, as_of: 'an "as_of", quoted', price: null }]) {
      const { json, fingerprint: print } = serializePatterns(patterns);
      expect(JSON.parse(json)).toEqual(patterns);
      expect(json).toBe(JSON.stringify(patterns));
      expect(print).toBe(fingerprint(patterns));
    }
  });

  it('are still right when as_of is not the first member', () => {
    const { as_of: asOf, ...content } = PATTERNS;
    const reordered = { ...content, as_of: asOf };
    expect(serializePatterns(reordered)).toEqual({ json: JSON.stringify(reordered), fingerprint: fingerprint(PATTERNS) });
  });
});
