import fc from 'fast-check';
import { MAX_SHOPPER_ID_LENGTH } from '../../functions/kernel/shopper-id.ts';

/** Firestore's rules for a document id: https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields */
export function isValidDocumentId(id: string): boolean {
  return id.length > 0 && !id.includes('/') && id !== '.' && id !== '..' && !/^__.*__$/.test(id) && Buffer.byteLength(id) <= 1500;
}

const tokenCharacter = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
/** The characters that make paths: drawn often, so that `a/b`, `..` and `__x__` come up in every run. */
const pathCharacter = fc.constantFrom('/', '.', '_', '%', '2', 'F');

/** Any subject a token may carry: 1–128 printable ASCII characters, path characters favoured. */
export const tokenSubjects = fc.oneof(
  fc.string({ unit: fc.oneof(tokenCharacter, pathCharacter), minLength: 1, maxLength: MAX_SHOPPER_ID_LENGTH }),
  fc.constantFrom('.', '..', '__p__', 'x/y', '/', '%2F', '%'),
  fc.tuple(fc.uuid(), fc.nat({ max: 15 })).map(([victim, shard]) => `${victim}/applied/${shard}`),
);

/** Any unicode text, should the subject rule ever widen: 100 code points keep the encoding within Firestore's limit. */
export const unicodeSubjects = fc.string({ unit: 'binary', minLength: 1, maxLength: 100 });

export const subjects = fc.oneof(tokenSubjects, unicodeSubjects);
