import type { EventType } from '../events/schema.ts';
import type { PrivacySettings } from '../privacy/settings.ts';
import { TRACKED_BY, tracks, type TrackingFlag } from '../privacy/tracked-by.ts';
import type { FetchLike, StorageLike, Timers } from './ports.ts';

/**
 * What the shopper lets be tracked, by the names of their privacy settings (`functions/privacy/settings.ts`):
 * `track_searches`, `track_clicks`, `track_purchases`. collect and ingest enforce the stored settings;
 * this local copy stops a page from even sending what the shopper turned off.
 */
export type TrackingConsent = Pick<PrivacySettings, TrackingFlag>;

const FLAGS = [...new Set(Object.values(TRACKED_BY).filter((flag) => flag !== null))];

/** Until the shop says otherwise, as for a shopper who never changed a setting: everything tracked. */
export function trackEverything(): TrackingConsent {
  return Object.fromEntries(FLAGS.map((flag) => [flag, true])) as TrackingConsent;
}

/** `current` with the tracking switches `settings` holds; other fields (e.g. `retention_days`) are the server's. */
export function withConsent(current: TrackingConsent, settings: unknown): TrackingConsent {
  const given = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>) : {};
  const next = { ...current };
  for (const flag of FLAGS) if (typeof given[flag] === 'boolean') next[flag] = given[flag];
  return next;
}

export function allows(consent: TrackingConsent, type: EventType): boolean {
  return tracks(consent, type);
}

/** The switch survives a reload, so a page never tracks what the shopper turned off before it. */
export function storedConsent(storage: StorageLike | null, key: string): TrackingConsent {
  try {
    return withConsent(trackEverything(), JSON.parse(storage?.getItem(key) ?? 'null'));
  } catch {
    return trackEverything();
  }
}

export function storeConsent(storage: StorageLike | null, key: string, consent: TrackingConsent): void {
  try {
    storage?.setItem(key, JSON.stringify(consent));
  } catch {
    // Storage refused: the switch still holds for this page.
  }
}

export type PrivacyRequest = { fetch: FetchLike; usersEndpoint: string; userId: string; token: string; timeoutMs: number; timers: Timers };

/** The shopper's settings from `GET /v1/users/{userId}/privacy`, or null when they could not be read. */
export async function fetchPrivacySettings(request: PrivacyRequest): Promise<Partial<PrivacySettings> | null> {
  const abort = new AbortController();
  const timer = request.timers.setTimeout(() => abort.abort(), request.timeoutMs);
  try {
    const url = `${request.usersEndpoint.replace(/\/+$/, '')}/v1/users/${encodeURIComponent(request.userId)}/privacy`;
    const response = await request.fetch(url, {
      method: 'GET',
      headers: { Authorization: `Bearer ${request.token}` },
      signal: abort.signal,
    });
    if (response.status !== 200) return null;
    const body = await response.json();
    return typeof body === 'object' && body !== null ? body : null;
  } catch {
    return null;
  } finally {
    request.timers.clearTimeout(timer);
  }
}
