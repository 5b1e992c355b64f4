import { z } from 'zod';

/**
 * A shopper's privacy settings, `privacy/{shopperDocumentId(userId)}` in Firestore. Every flag is the shopper's own;
 * a shopper who never set anything has `DEFAULT_PRIVACY`.
 */
export const PrivacySettings = z.strictObject({
  /** Keep their searches (`search_performed`). */
  track_searches: z.boolean(),
  /** Keep their result clicks and product views. */
  track_clicks: z.boolean(),
  /** Keep their cart changes and orders. */
  track_purchases: z.boolean(),
  /** Learn from what is kept at all: real-time preferences and batch patterns. Off clears what was learned. */
  learn_preferences: z.boolean(),
  /** Let their patterns be used beyond their own personalization (e.g. aggregates for other shoppers). */
  share_patterns: z.boolean(),
  /** Days their events are kept; the tables' partition expiration (730 days) is the ceiling. */
  retention_days: z.int().min(1).max(730),
  /** Granular switches of the batch patterns: dietary tags, brands, price sensitivity, shopping schedule. */
  learn_dietary: z.boolean(),
  learn_brands: z.boolean(),
  learn_price: z.boolean(),
  learn_schedule: z.boolean(),
});
export type PrivacySettings = z.infer<typeof PrivacySettings>;

export const DEFAULT_PRIVACY: PrivacySettings = {
  track_searches: true,
  track_clicks: true,
  track_purchases: true,
  learn_preferences: true,
  share_patterns: false,
  retention_days: 365,
  learn_dietary: true,
  learn_brands: true,
  learn_price: true,
  learn_schedule: true,
};

/** What `PUT /v1/users/{userId}/privacy` takes: any of the settings; those left out keep their value. */
export const PrivacyUpdate = PrivacySettings.partial();
export type PrivacyUpdate = z.infer<typeof PrivacyUpdate>;

/** The settings as stored, with when they last changed (ISO 8601). */
export type StoredPrivacy = PrivacySettings & { updated_at: string | null };

export { TRACKED_BY, tracks } from './tracked-by.ts';
