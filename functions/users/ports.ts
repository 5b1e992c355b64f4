import type { Preferences } from '../learn/preferences.ts';
import type { ErasureStore, PrivacyStore } from '../privacy/ports.ts';

/** Reads a shopper's preference document; null when nothing has been learned yet. */
export interface PreferenceReader {
  read(userId: string): Promise<Preferences | null>;
}

/** What `users` does with privacy settings: a shopper reads and changes their own. */
export type ShopperPrivacy = Pick<PrivacyStore, 'read' | 'write'>;

/** What `users` does with erasures: a shopper asks for one and follows it. */
export type ShopperErasures = Pick<ErasureStore, 'request' | 'get'>;
