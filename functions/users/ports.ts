import type { ErasureStore, PrivacyStore } from '../privacy/ports.ts';

/** What `users` does with privacy settings: a shopper reads and changes their own. */
export type ShopperPrivacy = Pick<PrivacyStore, 'read' | 'write'>;

/** What `users` does with erasures: a shopper asks for one and follows it. */
export type ShopperErasures = Pick<ErasureStore, 'request' | 'get'>;
