import type { FetchLike, StorageLike } from './ports.ts';
import { storedSession } from './session.ts';
import { createTrackerCore, type Tracker, type TrackerOptions } from './tracker.ts';
import { uuidV4 } from './uuid.ts';

type Listener = (event: { persisted?: boolean }) => void;
type Target = {
  addEventListener?(type: string, listener: Listener): void;
  removeEventListener?(type: string, listener: Listener): void;
};
/** The little of a browser window the tracker uses; the project compiles without the DOM's types. */
type BrowserWindow = Target & {
  fetch: FetchLike;
  localStorage?: StorageLike;
  navigator?: { onLine?: boolean };
  document?: Target & { visibilityState?: string };
};

/**
 * A tracker for a shop's pages. Its queue is kept in `localStorage`, so events outlive a reload or an
 * offline spell; when the page is hidden or left, what is queued goes in requests that outlive it.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const page = globalThis as unknown as BrowserWindow;
  const storage = localStorageOf(page);
  const core = createTrackerCore(options, {
    fetch: (url, init) => page.fetch(url, init),
    storage,
    isOnline: () => page.navigator?.onLine !== false,
    context: { platform: 'web' },
    session: (store, prefix, now) => storedSession(store, `${prefix}:session`, now, uuidV4),
    dropOnShutdown: false,
  });
  // pagehide is the last event a page leaving for good is sure to get; visibilitychange also covers a
  // phone's app switch, after which the page may be killed without one.
  const listeners: [Target | undefined, string, Listener][] = [
    [page, 'pagehide', () => core.hidden()],
    [page, 'pageshow', (event) => event.persisted && core.shown()],
    [page.document, 'visibilitychange', () => (page.document?.visibilityState === 'hidden' ? core.hidden() : core.shown())],
    [page, 'online', () => core.online()],
  ];
  for (const [target, type, listener] of listeners) target?.addEventListener?.(type, listener);
  void core.stopped.then(() => {
    for (const [target, type, listener] of listeners) target?.removeEventListener?.(type, listener);
  });
  return core.tracker;
}

/** Reading `localStorage` throws where the shopper blocked site data: the queue then lives in memory. */
function localStorageOf(page: BrowserWindow): StorageLike | null {
  try {
    return page.localStorage ?? null;
  } catch {
    return null;
  }
}
