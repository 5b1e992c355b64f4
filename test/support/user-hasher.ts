import { createUserHasher } from '../../functions/privacy/user-hash.ts';

/** The keyed hash of tests that need one but do not meet an erasure store of their own: any key of the right length. */
export const hashUser = createUserHasher('test-user-hash-key-that-is-long-enough-0123');
