import type { ReorderModel } from '../kernel/reorder-model.ts';
import type { PreferenceDocument } from '../learn/preference-document.ts';
import type { PrivacyStore } from '../privacy/ports.ts';
import type { PrivacySettings } from '../privacy/settings.ts';

/** The shopper's privacy settings, defaults for a shopper who set nothing (any `PrivacyStore` will do). */
export type PrivacyReader = Pick<PrivacyStore, 'read'>;

/** The switches personalization honours; every other setting is about tracking, not about using what was learned. */
export type PersonalizationFlags = Pick<
  PrivacySettings,
  'learn_preferences' | 'learn_brands' | 'learn_price' | 'learn_schedule' | 'learn_dietary'
>;

/**
 * Everything `personalize` may use about one shopper, and the reorder model in force, which decides when their
 * products are due (absent or null: the default rule, `REORDER_RULE`).
 */
export type ShopperPreferences = PreferenceDocument & { privacy: PersonalizationFlags; reorder_model?: ReorderModel | null };

/** The reorder model in force (`learning_models/reorder`), null before the patterns job first fitted one. */
export type { ReorderModelReader } from '../kernel/reorder-model.ts';
