import type { Preferences } from '../learn/preferences.ts';
import type { Patterns } from '../patterns/patterns.ts';
import type { PrivacyStore } from '../privacy/ports.ts';
import type { PrivacySettings } from '../privacy/settings.ts';

/**
 * `preferences/{userId}` as the search service reads it: what real-time learning wrote and what the
 * patterns job published, each null until its writer has run (either may come first).
 */
export type PreferenceDocument = { learned: Preferences | null; patterns: Patterns | null };

/** Reads a shopper's preference document; null when there is none. */
export interface PreferenceDocumentReader {
  read(userId: string): Promise<PreferenceDocument | null>;
}

/** The shopper's privacy settings, defaults for a shopper who set nothing (any `PrivacyStore` will do). */
export type PrivacyReader = Pick<PrivacyStore, 'read'>;

/** The switches personalization honours; every other setting is about tracking, not about using what was learned. */
export type PersonalizationFlags = Pick<PrivacySettings, 'learn_preferences' | 'learn_brands' | 'learn_price' | 'learn_schedule' | 'learn_dietary'>;

/** Everything `personalize` may use about one shopper. */
export type ShopperPreferences = PreferenceDocument & { privacy: PersonalizationFlags };
