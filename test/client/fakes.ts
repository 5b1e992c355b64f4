import type { FetchInit, FetchLike, FetchResponse, StorageLike } from '../../functions/client/ports.ts';
import { createTrackerCore, type Platform, type TrackerCore, type TrackerOptions } from '../../functions/client/tracker.ts';

/** `localStorage` in a Map; `failWrites` makes it refuse writes as a full one does. */
export function memoryStorage(): StorageLike & { items: Map<string, string>; failWrites: boolean } {
  const items = new Map<string, string>();
  return {
    items,
    failWrites: false,
    getItem: (key) => items.get(key) ?? null,
    setItem(key, value) {
      if (this.failWrites) throw new Error('QuotaExceededError');
      items.set(key, value);
    },
    removeItem: (key) => void items.delete(key),
    key: (index) => [...items.keys()][index] ?? null,
    get length() {
      return items.size;
    },
  };
}

/** One request as collect would have received it. */
export type Received = { url: string; init: FetchInit; token: string; events: SentEvent[] };
export type SentEvent = {
  event_id: string;
  type: string;
  sent_at: string;
  session_id: string;
  occurred_at: string;
  context?: Record<string, unknown>;
  data: Record<string, unknown>;
};

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-error';

/**
 * collect as the client sees it: records every request, answers each with `answer` (202 with every
 * event accepted by default). A network error rejects like a failed fetch.
 */
export function fakeCollect(answer: (request: Received, index: number) => Answer = () => ({ status: 202 })) {
  const requests: Received[] = [];
  const fetch: FetchLike = async (url, init) => {
    const body = JSON.parse(init.body ?? '{}') as { events?: SentEvent[] };
    const request: Received = { url, init, token: (init.headers.Authorization ?? '').replace(/^Bearer /, ''), events: body.events ?? [] };
    requests.push(request);
    const reply = answer(request, requests.length - 1);
    if (reply === 'network-error') throw new TypeError('Failed to fetch');
    const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const response: FetchResponse = {
      status: reply.status,
      headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
      json: async () => reply.body ?? { request_id: 'r', accepted: request.events.length, rejected: [], dropped: 0, duplicates: 0 },
    };
    return response;
  };
  return {
    fetch,
    requests,
    /** Every event id sent, in order, repeats included. */
    sentIds: () => requests.flatMap((r) => r.events.map((e) => e.event_id)),
  };
}

export type TestPlatform = Partial<Platform> & { online?: boolean };

/** A tracker core on the given ports, browser-like (storage, no drop on shutdown) unless told otherwise. */
export function trackerUnderTest(
  options: Partial<TrackerOptions> & { fetch: FetchLike },
  platform: TestPlatform = {},
): TrackerCore & { platform: { online: boolean } } {
  const state = { online: platform.online ?? true };
  const core = createTrackerCore(
    { endpoint: 'https://collect.test', token: 'token-1', ...options },
    {
      fetch: options.fetch,
      storage: null,
      isOnline: () => state.online,
      context: { platform: 'web' },
      session: () => () => 'session-1',
      dropOnShutdown: false,
      ...platform,
    },
  );
  return { ...core, platform: state };
}

export const MILK = { sku: 'sku-oat-1l', name: 'Oat drink 1 l', category: 'dairy-alternatives', brand: 'Oatly', price: 2.49 };
