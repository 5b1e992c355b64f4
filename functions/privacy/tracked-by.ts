import type { EventType } from '../events/schema.ts';
import type { PrivacySettings } from './settings.ts';

// Plain data with type-only imports: the browser client mirrors these switches without bundling zod.

/** Which setting lets each event type be tracked. A shopper's explicit preference statements always are. */
export const TRACKED_BY = {
  search_performed: 'track_searches',
  search_result_clicked: 'track_clicks',
  product_viewed: 'track_clicks',
  cart_item_added: 'track_purchases',
  cart_item_removed: 'track_purchases',
  cart_item_updated: 'track_purchases',
  order_completed: 'track_purchases',
  preference_updated: null,
} as const satisfies Record<EventType, keyof PrivacySettings | null>;

/** The settings that decide what is tracked: `track_searches`, `track_clicks`, `track_purchases`. */
export type TrackingFlag = NonNullable<(typeof TRACKED_BY)[EventType]>;

export function tracks(settings: Pick<PrivacySettings, TrackingFlag>, type: EventType): boolean {
  const flag = TRACKED_BY[type];
  return flag === null || settings[flag] === true;
}
