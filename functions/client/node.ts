import { createTrackerCore, type Tracker, type TrackerOptions } from './tracker.ts';
import { uuidV4 } from './uuid.ts';

/**
 * A tracker for the shop's servers, e.g. for orders, which the server knows to be real. Its queue is
 * in memory: it is flushed when the process is about to exit on its own (`beforeExit`); a process
 * that calls `process.exit` or is stopped by a signal awaits `shutdown()` first.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const core = createTrackerCore(options, {
    fetch: (url, init) => fetch(url, init),
    storage: null,
    isOnline: () => true,
    context: { platform: 'server' },
    session: () => {
      const id = uuidV4();
      return () => id;
    },
    dropOnShutdown: true,
  });
  const beforeExit = () => void core.tracker.shutdown();
  process.once('beforeExit', beforeExit);
  void core.stopped.then(() => process.off('beforeExit', beforeExit));
  return core.tracker;
}
