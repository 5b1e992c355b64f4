import { z } from 'zod';

/** Longest shopper id, in characters: the token subject rule. */
export const MAX_SHOPPER_ID_LENGTH = 128;

/**
 * A shopper's id as the shop's token names it (`sub`): 1–128 printable ASCII characters. The id is
 * data: `a/b`, `..` and `__x__` are ids like any other, and only `shopperDocumentId` turns one into
 * part of a Firestore path.
 */
export const ShopperId = z
  .string()
  .regex(
    new RegExp(`^[\\x21-\\x7e]{1,${MAX_SHOPPER_ID_LENGTH}}$`),
    `must be 1–${MAX_SHOPPER_ID_LENGTH} printable ASCII characters without spaces`,
  );
export type ShopperId = z.infer<typeof ShopperId>;

/** Firestore's limit on a document id, in bytes of UTF-8. */
export const MAX_DOCUMENT_ID_BYTES = 1500;

/** Characters a shopper's document id keeps as they are; every other byte is written `%XX`. */
const KEPT = /^[A-Za-z0-9\-._@+]$/;
const keptByte = Array.from({ length: 256 }, (_, byte) => byte < 0x80 && KEPT.test(String.fromCharCode(byte)));
/** An id that is its own document id: kept characters only, and no leading `.` or `_`. */
const UNCHANGED = /^[A-Za-z0-9\-@+][A-Za-z0-9\-._@+]*$/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The Firestore document id of a shopper: every UTF-8 byte outside `A–Z a–z 0–9 - . _ @ +` written
 * `%XX` (uppercase hex), and a leading `.` or `_` too. So it never holds `/`, is never `.` or `..`,
 * never has the reserved form `__x__`, and two ids never share one (`decodeURIComponent` reverses it).
 * Digits, UUIDs, e-mail addresses and Firebase uids are their own document id.
 */
export function shopperDocumentId(userId: string): string {
  if (UNCHANGED.test(userId)) return userId;
  // A lone surrogate has no UTF-8: two such ids would otherwise share the replacement character's bytes.
  if (userId.length === 0 || LONE_SURROGATE.test(userId)) throw new RangeError('a shopper id must be a non-empty, well-formed string');
  let documentId = '';
  for (const [i, byte] of Buffer.from(userId, 'utf8').entries()) {
    const kept = keptByte[byte] === true && !(i === 0 && (byte === 0x2e || byte === 0x5f));
    documentId += kept ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (documentId.length > MAX_DOCUMENT_ID_BYTES)
    throw new RangeError(`a shopper's document id would exceed ${MAX_DOCUMENT_ID_BYTES} bytes`);
  return documentId;
}

/**
 * The shopper whose document id this is, or null when no shopper's is: a document stored under a
 * raw id before ids were encoded (e.g. `a%zz`, or `a:b` rather than `a%3Ab`) names nobody.
 */
export function shopperIdOfDocument(documentId: string): string | null {
  try {
    const userId = decodeURIComponent(documentId);
    return shopperDocumentId(userId) === documentId ? userId : null;
  } catch {
    return null; // not %-encoded UTF-8, or empty
  }
}

/**
 * Where an anonymous visitor's user id lives: `anonymous:` and the subject of the visitor's token. A logged-in
 * shopper's token may not name an id there (bearer-auth refuses it), so no visitor's id is ever a shopper's.
 */
export const ANONYMOUS_PREFIX = 'anonymous:';

/** Longest subject of an anonymous token: its user id, with the prefix, is still a valid user id. */
export const MAX_ANONYMOUS_SUBJECT_LENGTH = MAX_SHOPPER_ID_LENGTH - ANONYMOUS_PREFIX.length;

/** The user id of the anonymous visitor whose token's subject is `subject`. */
export function anonymousUserId(subject: string): string {
  return `${ANONYMOUS_PREFIX}${subject}`;
}

/** Whether a user id is an anonymous visitor's rather than a logged-in shopper's. */
export function isAnonymousUserId(userId: string): boolean {
  return userId.startsWith(ANONYMOUS_PREFIX);
}
