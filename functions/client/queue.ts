import type { EventType } from '../events/schema.ts';
import type { Entry } from './batch.ts';
import type { StorageLike } from './ports.ts';

export type QueueBounds = {
  /** Events kept at most; the oldest are dropped first. Default 1000. */
  maxEvents: number;
  /** Bytes of event JSON kept at most; the oldest are dropped first. Default 1 MB (localStorage holds about 5). */
  maxBytes: number;
};

export const DEFAULT_QUEUE_BOUNDS: QueueBounds = { maxEvents: 1000, maxBytes: 1_000_000 };

/**
 * A queue whose writer has not written for this long is taken over by the next tracker that starts:
 * its page crashed or was killed before it could say it closed.
 */
export const ORPHAN_AFTER_MS = 10_000;

export type QueueOptions = {
  bounds: QueueBounds;
  /** Where the queue outlives the page, or null (Node: in memory only). */
  storage: StorageLike | null;
  /** Every tracker's queue is stored under `<prefix><id>`: tabs of one shop never write the same key. */
  prefix: string;
  id: string;
  now: () => number;
};

type Stored = { at: number; closed: boolean; events: unknown[] };

const encoder = new TextEncoder();

/** A queued event from its JSON (without `sent_at`). */
export function entryOf(json: string, id: string, type: EventType): Entry {
  return { id, type, json, bytes: encoder.encode(json).length };
}

/**
 * The events not yet acknowledged, oldest first, bounded by count and bytes, written through to
 * storage on every change. An event leaves only when collect answered for it (or it is dropped).
 */
export function createQueue(options: QueueOptions) {
  const { storage, bounds } = options;
  const key = options.prefix + options.id;
  let entries: Entry[] = [];
  let bytes = 0;

  function write(closed = false): void {
    if (!storage) return;
    try {
      if (entries.length === 0 && !closed) storage.removeItem(key);
      else storage.setItem(key, `{"at":${options.now()},"closed":${closed},"events":[${entries.map((e) => e.json).join(',')}]}`);
    } catch {
      // Storage full or refused: the events are still held in memory and sent from there.
    }
  }

  /** Drops the oldest entries beyond the bounds; returns them. */
  function bound(): Entry[] {
    const dropped: Entry[] = [];
    while (entries.length > bounds.maxEvents || (bytes > bounds.maxBytes && entries.length > 0)) {
      const oldest = entries.shift() as Entry;
      bytes -= oldest.bytes;
      dropped.push(oldest);
    }
    return dropped;
  }

  function append(added: readonly Entry[]): void {
    const known = new Set(entries.map((e) => e.id));
    for (const entry of added) {
      if (known.has(entry.id)) continue;
      known.add(entry.id);
      entries.push(entry);
      bytes += entry.bytes;
    }
  }

  return {
    get entries(): readonly Entry[] {
      return entries;
    },

    /** Appends, drops the oldest beyond the bounds, writes; returns what was dropped. */
    add(entry: Entry): Entry[] {
      append([entry]);
      const dropped = bound();
      write();
      return dropped;
    },

    /** Removes the entries `leaves` picks; returns them. */
    removeWhere(leaves: (entry: Entry) => boolean): Entry[] {
      const removed = entries.filter(leaves);
      if (removed.length === 0) return removed;
      entries = entries.filter((e) => !leaves(e));
      bytes = entries.reduce((sum, e) => sum + e.bytes, 0);
      write();
      return removed;
    },

    /** Writes the queue as its page goes away, so that the next page takes it over at once. */
    close(): void {
      write(true);
    },

    /** Writes the queue as open again (a page back from the back-forward cache). */
    reopen(): void {
      write();
    },

    /**
     * Takes over the queues of trackers that closed or stopped writing (an earlier page, a crashed tab),
     * oldest events first; returns what the bounds dropped. A live tab's events may be taken too: both
     * then send them, and collect's deduplication by event id makes that harmless.
     */
    adopt(): Entry[] {
      if (!storage) return [];
      const found: { at: number; entries: Entry[] }[] = [];
      const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i));
      for (const other of keys) {
        if (other === null || other === key || !other.startsWith(options.prefix)) continue;
        const stored = readStored(storage.getItem(other));
        if (stored && !stored.closed && options.now() - stored.at < ORPHAN_AFTER_MS) continue;
        if (stored) found.push({ at: stored.at, entries: stored.events.flatMap(restore) });
        storage.removeItem(other);
      }
      if (found.length === 0) return [];
      const mine = entries;
      entries = [];
      bytes = 0;
      for (const queue of found.sort((a, b) => a.at - b.at)) append(queue.entries);
      append(mine);
      const dropped = bound();
      write();
      return dropped;
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;

function readStored(text: string | null): Stored | null {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    if (typeof value !== 'object' || value === null) return null;
    const { at, closed, events } = value as Partial<Stored>;
    return typeof at === 'number' && Array.isArray(events) ? { at, closed: closed === true, events } : null;
  } catch {
    return null;
  }
}

/** A stored event back as an entry; anything that is not one of ours is left behind. */
function restore(event: unknown): Entry[] {
  if (typeof event !== 'object' || event === null) return [];
  const { event_id, type } = event as { event_id?: unknown; type?: unknown };
  return typeof event_id === 'string' && typeof type === 'string' ? [entryOf(JSON.stringify(event), event_id, type as EventType)] : [];
}
