import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DOCUMENT_ID_BYTES,
  MAX_SHOPPER_ID_LENGTH,
  ShopperId,
  shopperDocumentId,
  shopperIdOfDocument,
} from '../../functions/kernel/shopper-id.ts';
import { isValidDocumentId, subjects } from '../support/subjects.ts';

describe('ShopperId: the token subject rule', () => {
  it.each(['shopper-1', 'x/y', '..', '.', '__p__', 'a%2Fb', 'V2/applied/3', '!'.repeat(MAX_SHOPPER_ID_LENGTH)])('accepts %j', (id) => {
    expect(ShopperId.safeParse(id).success).toBe(true);
  });

  it.each(['', 'with space', 'tab\there', 'grüße', 'x'.repeat(MAX_SHOPPER_ID_LENGTH + 1)])('refuses %j', (id) => {
    expect(ShopperId.safeParse(id).success).toBe(false);
  });
});

describe('shopperDocumentId', () => {
  it.each([
    ['12345', '12345'],
    ['3f1c1f7e-8a4b-4c2d-9e0f-1a2b3c4d5e6f', '3f1c1f7e-8a4b-4c2d-9e0f-1a2b3c4d5e6f'],
    ['ada.lovelace+shop@example.com', 'ada.lovelace+shop@example.com'],
    ['kXw3bQ9pZt0aYc8dRf2gHj4kLm6n', 'kXw3bQ9pZt0aYc8dRf2gHj4kLm6n'],
    ['x/y', 'x%2Fy'],
    ['.', '%2E'],
    ['..', '%2E.'],
    ['__p__', '%5F_p__'],
    ['a.', 'a.'],
    ['a%2Fb', 'a%252Fb'],
    ['user:1', 'user%3A1'],
    ['grüße', 'gr%C3%BC%C3%9Fe'],
  ])('keeps typical ids and escapes the rest: %j → %j', (userId, documentId) => {
    expect(shopperDocumentId(userId)).toBe(documentId);
    expect(shopperIdOfDocument(documentId)).toBe(userId);
  });

  it('refuses what has no document id rather than inventing one', () => {
    expect(() => shopperDocumentId('')).toThrow(RangeError);
    expect(() => shopperDocumentId('a\ud800b')).toThrow(RangeError);
    expect(() => shopperDocumentId('\u{1f600}'.repeat(200))).toThrow(RangeError);
  });

  it.each(['a%zz', '%', 'a:b', 'x%2fy', '%2e.', '_p', '.', ''])('names nobody for %j, which is no shopper’s document id', (documentId) => {
    expect(shopperIdOfDocument(documentId)).toBeNull();
  });

  it('is a valid Firestore document id that decodes back to the subject, for any subject', () => {
    fc.assert(
      fc.property(subjects, (userId) => {
        const documentId = shopperDocumentId(userId);
        expect(isValidDocumentId(documentId)).toBe(true);
        expect(Buffer.byteLength(documentId)).toBeLessThanOrEqual(MAX_DOCUMENT_ID_BYTES);
        expect(decodeURIComponent(documentId)).toBe(userId);
        expect(shopperIdOfDocument(documentId)).toBe(userId);
      }),
      { numRuns: 2000 },
    );
  });

  it('never gives two subjects one document id', () => {
    fc.assert(
      fc.property(subjects, subjects, (a, b) => {
        fc.pre(a !== b);
        expect(shopperDocumentId(a)).not.toBe(shopperDocumentId(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves an id of kept characters as it is', () => {
    const kept = fc.constantFrom(...'ABCXYZabcxyz0189-.@+_');
    fc.assert(
      fc.property(fc.string({ unit: kept, minLength: 1, maxLength: MAX_SHOPPER_ID_LENGTH }), (userId) => {
        fc.pre(!userId.startsWith('.') && !userId.startsWith('_'));
        expect(shopperDocumentId(userId)).toBe(userId);
      }),
    );
    expect(shopperDocumentId(randomUUID())).toMatch(/^[0-9a-f-]{36}$/);
  });
});
