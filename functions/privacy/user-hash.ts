import { createHmac } from 'node:crypto';

/**
 * A keyed hash of a user id (HMAC-SHA-256, hex): what erasure keeps instead of the id. Without the
 * key (Secret Manager in production) nobody can test a guessed id against it.
 */
export type UserHasher = (userId: string) => string;

/** Fewest characters of the key. */
export const MIN_USER_HASH_KEY_LENGTH = 32;

export function createUserHasher(key: string): UserHasher {
  if (key.length < MIN_USER_HASH_KEY_LENGTH) throw new Error(`the user hash key must have at least ${MIN_USER_HASH_KEY_LENGTH} characters`);
  return (userId) => createHmac('sha256', key).update(userId).digest('hex');
}
