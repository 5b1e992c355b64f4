import { LIMITS } from '../events/limits.ts';
import type { ClientEvent, EventType, ProductRef } from '../events/schema.ts';
import type { PrivacySettings } from '../privacy/settings.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { sentBytes } from './batch.ts';
import { allows, fetchPrivacySettings, storeConsent, storedConsent, withConsent, type TrackingConsent } from './consent.ts';
import { createDelivery, type DeliveryCounts, type FlushResult, type Rejection } from './delivery.ts';
import { postLink, type LinkResult } from './link.ts';
import { SYSTEM_TIMERS, type FetchLike, type StorageLike, type Timers } from './ports.ts';
import { createQueue, DEFAULT_QUEUE_BOUNDS, entryOf, type QueueBounds } from './queue.ts';
import { createTokenProvider, type TokenSource } from './token.ts';
import { uuidV4 } from './uuid.ts';

export type EventOf<T extends EventType> = Extract<ClientEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>['data'];
export type EventContext = NonNullable<ClientEvent['context']>;
/** Experiment id → the shopper's arm, e.g. `{ personalization: 'treatment' }`. */
export type Experiments = NonNullable<EventContext['experiments']>;
export type Product = ProductRef;

/** An event the client let go without collect's answer: the queue was full, consent was withdrawn, or Node exited. */
export type Dropped = { event_id: string; type: EventType; reason: 'queue_full' | 'consent' | 'shutdown' };

export type TrackerOptions = {
  /** collect's base URL, e.g. `https://collect-….run.app` (the stack output `collectUrl`). */
  endpoint: string;
  /** The shopper's token, or a function that returns a current one; called again once after a 401. */
  token: TokenSource;
  /** Default: in a browser, one per visit (kept across pages, renewed after 30 idle minutes); in Node, one per tracker. */
  sessionId?: string;
  /** The shopper's experiment arms, put in every event's `context.experiments`. Default none. */
  experiments?: Experiments;
  /** Put in every event's context, e.g. `{ locale: 'de-DE', app_version: '4.2.0' }`. Default: `platform` only. */
  context?: Omit<EventContext, 'experiments' | 'search_id'>;
  /** Events refused for good, each with collect's reason (they are kept as rejected on the server too). */
  onRejected?: (rejections: Rejection[]) => void;
  /** Events let go unsent; `stats().dropped` counts them too. */
  onDropped?: (dropped: Dropped[]) => void;
  /** Queued events that make a request go at once. Default 20. */
  flushAt?: number;
  /**
   * Longest wait of a queued event before a request carries it, ms. Default 5000, Mixpanel's browser default (the
   * Node SDKs of Segment and PostHog wait 10 s): each request is one message and one Firestore write, so a shopper
   * clicking every few hundred ms should send about `flushAt` events a request, not four. A hidden page sends at once.
   */
  flushIntervalMs?: number;
  /** Longest wait for collect's answer to one request, ms. Default 10,000. */
  requestTimeoutMs?: number;
  /** Longest wait of `flush()` and `shutdown()`, ms. Default 10,000. */
  flushTimeoutMs?: number;
  /** Bounds of the queue. Default 1000 events and 1 MB. */
  queue?: Partial<QueueBounds>;
  /** Retry delays. Default: ceilings from 500 ms doubling up to 30 s, full jitter. */
  backoff?: Partial<BackoffPolicy>;
  /** Prefix of the storage keys. Default `grocery-loop`. */
  storageKey?: string;
  /** Default: the platform's `fetch`. */
  fetch?: FetchLike;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Default `Math.random`. */
  random?: () => number;
  /** Where the queue, the session and the consent switch are kept. Default: `localStorage` in a browser, none in Node. */
  storage?: StorageLike | null;
  /** Default: the platform's `setTimeout` and `clearTimeout`. */
  timers?: Timers;
};

export type TrackOptions = {
  /** Arms for this event, over the tracker's. */
  experiments?: Experiments;
  /** More context for this event, over the tracker's. */
  context?: Partial<EventContext>;
  /** When it happened. Default now. */
  occurredAt?: Date;
};

/** A search already tracked: its id, or its id and query (e.g. on a page that did not track it). */
export type SearchRef = string | { search_id: string; query: string };

export type ShownResult = { sku: string; position?: number; brand?: string; category?: string };

export type SearchInput = {
  query: string;
  /**
   * What was shown, in the order shown: SKUs, or results with their SKU (and 1-based position, brand and category).
   * With brands and categories, learning also reads what the shopper passed over.
   */
  results: readonly (string | ShownResult)[];
  /** How many results the engine found in all. Default: the number shown. */
  results_count?: number;
  /** Whether the order shown was personalized. Default false. */
  personalized?: boolean;
  filters?: EventData<'search_performed'>['filters'];
  top_categories?: string[];
  /** Default: a new UUID. */
  search_id?: string;
};

export type TrackerStats = DeliveryCounts & { queued: number; dropped: number };

/** Each `track…` returns the event's id, or null when it is not tracked (consent, or after `shutdown`). */
export type Tracker = {
  /** Tracks `search_performed` and returns its `search_id`, which the search's clicks, views and cart adds carry. */
  trackSearch(search: SearchInput, options?: TrackOptions): string;
  /** A click on a search's result at its 1-based position. */
  trackClick(search: SearchRef, product: Product, position: number, options?: TrackOptions): string | null;
  trackView(data: EventData<'product_viewed'>, options?: TrackOptions): string | null;
  trackCartAdd(data: EventData<'cart_item_added'>, options?: TrackOptions): string | null;
  trackCartRemove(data: EventData<'cart_item_removed'>, options?: TrackOptions): string | null;
  trackCartUpdate(data: EventData<'cart_item_updated'>, options?: TrackOptions): string | null;
  /** Best sent from the shop's server, which knows the order is real: see the Node client. */
  trackOrder(data: EventData<'order_completed'>, options?: TrackOptions): string | null;
  trackPreference(data: EventData<'preference_updated'>, options?: TrackOptions): string | null;
  track<T extends EventType>(type: T, data: EventData<T>, options?: TrackOptions): string | null;
  /** Replaces the arms every later event carries. */
  setExperiments(experiments: Experiments): void;
  /**
   * The shopper's tracking switches, by the names of their privacy settings (a whole settings object
   * will do). Takes effect at once: later events of a type turned off are not tracked, queued ones are dropped.
   */
  setConsent(settings: Partial<PrivacySettings>): TrackingConsent;
  /** Reads the shopper's settings from `users` (`GET /v1/users/{userId}/privacy`) and applies them; null if unread. */
  loadConsent(usersEndpoint: string, userId?: string): Promise<TrackingConsent | null>;
  /**
   * On login, for a tracker made with an anonymous visitor's token: flushes what the visitor did under their token,
   * links the visitor to the shopper (`POST /v1/users/{userId}/links` on `users`; `userId` defaults to the new
   * token's `sub`), sends every later event with `token`, and loads the shopper's settings. What a refused link
   * answers is the reason; with `retry`, calling again links the same visitor.
   */
  identify(usersEndpoint: string, token: TokenSource, userId?: string): Promise<LinkResult>;
  /** Sends what is queued now; resolves once collect answered for it, or after `flushTimeoutMs`. */
  flush(): Promise<FlushResult>;
  /** Tracks nothing more, flushes, and stops. In Node, what is still unsent after it is dropped. */
  shutdown(): Promise<FlushResult>;
  stats(): TrackerStats;
};

/** What each platform supplies. */
export type Platform = {
  fetch: FetchLike;
  storage: StorageLike | null;
  isOnline: () => boolean;
  context: Omit<EventContext, 'experiments' | 'search_id'>;
  /** The session id when none is given, kept in `storage` under the keys' prefix. */
  session: (storage: StorageLike | null, prefix: string, now: () => number) => () => string;
  /** Whether `shutdown` lets go of what is still queued: Node's queue ends with its process. */
  dropOnShutdown: boolean;
};

/** The tracker and the hooks its platform calls: the page hidden, shown again, back online. */
export type TrackerCore = { tracker: Tracker; hidden(): void; shown(): void; online(): void; stopped: Promise<void> };

/** Searches whose query a click by search id fills in. */
const REMEMBERED_SEARCHES = 50;

export function createTrackerCore(options: TrackerOptions, platform: Platform): TrackerCore {
  const now = options.now ?? Date.now;
  const timers = options.timers ?? SYSTEM_TIMERS;
  const fetch = options.fetch ?? platform.fetch;
  const storage = options.storage === undefined ? platform.storage : options.storage;
  const prefix = options.storageKey ?? 'grocery-loop';
  const consentKey = `${prefix}:consent`;
  const flushTimeoutMs = options.flushTimeoutMs ?? 10_000;
  const tokens = createTokenProvider(options.token);
  // Asked for now, so that a page hidden before its first request has a token at hand.
  tokens.get().catch(() => undefined);
  const session = options.sessionId === undefined ? platform.session(storage, prefix, now) : () => options.sessionId as string;
  const searches = new Map<string, string>();
  let experiments: Experiments = { ...options.experiments };
  let consent = storedConsent(storage, consentKey);
  let dropped = 0;
  let closed = false;
  /** The visitor's token until they are linked: a retried `identify` links the same visitor. */
  let visitorToken: string | undefined;
  let markStopped = () => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));

  const drop = (entries: readonly { id: string; type: EventType }[], reason: Dropped['reason']) => {
    if (entries.length === 0) return;
    dropped += entries.length;
    options.onDropped?.(entries.map((entry) => ({ event_id: entry.id, type: entry.type, reason })));
  };
  const reject = (rejections: Rejection[]) => options.onRejected?.(rejections);

  const queue = createQueue({
    bounds: { ...DEFAULT_QUEUE_BOUNDS, ...options.queue },
    storage,
    prefix: `${prefix}:queue:`,
    id: uuidV4(),
    now,
  });
  const delivery = createDelivery({
    queue,
    tokens,
    fetch,
    url: `${options.endpoint.replace(/\/+$/, '')}/v1/events`,
    timers,
    now,
    random: options.random ?? Math.random,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    flushAt: options.flushAt ?? 20,
    flushIntervalMs: options.flushIntervalMs ?? 5000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    isOnline: platform.isOnline,
    onRejected: reject,
  });
  // An earlier page's events, or a crashed tab's, go with this page's.
  drop(queue.adopt(), 'queue_full');
  drop(
    queue.removeWhere((entry) => !allows(consent, entry.type)),
    'consent',
  );
  delivery.queued();

  function contextFor(call: TrackOptions, searchId: string | undefined): EventContext | undefined {
    const arms = { ...experiments, ...call.experiments };
    const context: EventContext = {
      ...platform.context,
      ...options.context,
      ...(searchId === undefined ? {} : { search_id: searchId }),
      ...call.context,
      ...(Object.keys(arms).length ? { experiments: arms } : {}),
    };
    return Object.keys(context).length ? context : undefined;
  }

  function track<T extends EventType>(type: T, data: EventData<T>, call: TrackOptions = {}, searchId?: string): string | null {
    if (closed || !allows(consent, type)) return null;
    const eventId = uuidV4();
    const context = contextFor(call, searchId);
    const event = {
      event_id: eventId,
      type,
      session_id: session(),
      occurred_at: (call.occurredAt ?? new Date(now())).toISOString(),
      ...(context ? { context } : {}),
      data,
    };
    const entry = entryOf(JSON.stringify(event), eventId, type);
    // collect would refuse it on its own; refusing it here keeps it out of every request.
    if (sentBytes(entry) > LIMITS.maxEventBytes) {
      reject([{ event_id: eventId, type, reason: `event is ${sentBytes(entry)} bytes; the limit is ${LIMITS.maxEventBytes} bytes` }]);
      return null;
    }
    drop(queue.add(entry), 'queue_full');
    delivery.queued();
    return eventId;
  }

  /** The search's id in its data and context, as every later event of the search carries it. */
  const withSearch = <T extends 'product_viewed' | 'cart_item_added'>(type: T, data: EventData<T>, call?: TrackOptions) =>
    track(type, data, call, data.search_id);

  const tracker: Tracker = {
    trackSearch(search, call) {
      const searchId = search.search_id ?? uuidV4();
      const results = search.results
        .slice(0, LIMITS.maxResultsPerSearch)
        .map((result, i) => (typeof result === 'string' ? { sku: result, position: i + 1 } : shownResult(result, i + 1)));
      searches.delete(searchId);
      searches.set(searchId, search.query);
      if (searches.size > REMEMBERED_SEARCHES) searches.delete(searches.keys().next().value ?? '');
      const data: EventData<'search_performed'> = {
        search_id: searchId,
        query: search.query,
        results_count: search.results_count ?? search.results.length,
        results,
        personalized: search.personalized ?? false,
        ...(search.filters === undefined ? {} : { filters: search.filters }),
        ...(search.top_categories === undefined ? {} : { top_categories: search.top_categories }),
      };
      track('search_performed', data, call, searchId);
      return searchId;
    },
    trackClick(search, product, position, call) {
      const [searchId, query] = typeof search === 'string' ? [search, searches.get(search) ?? ''] : [search.search_id, search.query];
      return track('search_result_clicked', { search_id: searchId, query, product, position }, call, searchId);
    },
    trackView: (data, call) => withSearch('product_viewed', data, call),
    trackCartAdd: (data, call) => withSearch('cart_item_added', data, call),
    trackCartRemove: (data, call) => track('cart_item_removed', data, call),
    trackCartUpdate: (data, call) => track('cart_item_updated', data, call),
    trackOrder: (data, call) => track('order_completed', data, call),
    trackPreference: (data, call) => track('preference_updated', data, call),
    track: (type, data, call) => track(type, data, call),
    setExperiments(next) {
      experiments = { ...next };
    },
    setConsent(settings) {
      consent = withConsent(consent, settings);
      storeConsent(storage, consentKey, consent);
      drop(
        queue.removeWhere((entry) => !allows(consent, entry.type)),
        'consent',
      );
      return { ...consent };
    },
    async loadConsent(usersEndpoint, userId) {
      try {
        const shopper = userId ?? (await tokens.subject());
        if (shopper === undefined) return null;
        const settings = await fetchPrivacySettings({
          fetch,
          usersEndpoint,
          userId: shopper,
          token: await tokens.get(),
          timeoutMs: options.requestTimeoutMs ?? 10_000,
          timers,
        });
        return settings ? tracker.setConsent(settings) : null;
      } catch {
        return null;
      }
    },
    async identify(usersEndpoint, token, userId) {
      try {
        // Queued events go under the visitor's token first: should the link be refused, they stay the visitor's.
        if (visitorToken === undefined) await delivery.flush(flushTimeoutMs);
        visitorToken ??= await tokens.get();
        tokens.use(token);
        const shopper = userId ?? (await tokens.subject()) ?? '';
        const link = async (bearer: string) =>
          postLink({
            fetch,
            usersEndpoint,
            userId: shopper,
            token: bearer,
            anonymousToken: visitorToken ?? '',
            timeoutMs: options.requestTimeoutMs ?? 10_000,
            timers,
          });
        let result = await link(await tokens.get());
        if (!result.ok && result.unauthorized) result = await link(await tokens.refresh());
        if (result.ok || !result.retry) visitorToken = undefined;
        await tracker.loadConsent(usersEndpoint, shopper);
        return result.ok ? { ok: true, link: result.link } : { ok: false, reason: result.reason, retry: result.retry };
      } catch {
        return { ok: false, reason: 'a token could not be had', retry: true };
      }
    },
    flush: () => delivery.flush(flushTimeoutMs),
    async shutdown() {
      closed = true;
      const result = await delivery.flush(flushTimeoutMs);
      delivery.stop();
      if (platform.dropOnShutdown)
        drop(
          queue.removeWhere(() => true),
          'shutdown',
        );
      markStopped();
      return result;
    },
    stats: () => ({ ...delivery.counts, queued: queue.entries.length, dropped }),
  };

  return {
    tracker,
    hidden() {
      delivery.hidden();
      queue.close();
    },
    shown() {
      queue.reopen();
    },
    online() {
      drop(queue.adopt(), 'queue_full');
      delivery.online();
    },
    stopped,
  };
}

/** A shown result as the contract lists it: the position it was shown at, its brand and category when the page knows them. */
function shownResult({ sku, position, brand, category }: ShownResult, shownAt: number): EventData<'search_performed'>['results'][number] {
  return { sku, position: position ?? shownAt, ...(brand ? { brand } : {}), ...(category ? { category } : {}) };
}
