import { describe, expect, it } from 'vitest';
import { createQueue, entryOf, ORPHAN_AFTER_MS, type QueueOptions } from '../../functions/client/queue.ts';
import { memoryStorage } from './fakes.ts';

const PREFIX = 'grocery-loop:queue:';

function event(id: string, bytes = 0) {
  return entryOf(JSON.stringify({ event_id: id, type: 'product_viewed', data: { pad: 'x'.repeat(bytes) } }), id, 'product_viewed');
}

function queueOn(
  storage: ReturnType<typeof memoryStorage>,
  id: string,
  clock: { now: number },
  bounds: Partial<QueueOptions['bounds']> = {},
) {
  return createQueue({ bounds: { maxEvents: 1000, maxBytes: 1_000_000, ...bounds }, storage, prefix: PREFIX, id, now: () => clock.now });
}

const ids = (entries: readonly { id: string }[]) => entries.map((e) => e.id);

describe('the queue', () => {
  it('keeps at most maxEvents, dropping the oldest first and saying which', () => {
    const queue = queueOn(memoryStorage(), 'a', { now: 0 }, { maxEvents: 3 });
    expect(['1', '2', '3'].flatMap((id) => queue.add(event(id)))).toEqual([]);
    expect(ids(queue.add(event('4')))).toEqual(['1']);
    expect(ids(queue.entries)).toEqual(['2', '3', '4']);
  });

  it('keeps at most maxBytes, dropping the oldest first', () => {
    const queue = queueOn(memoryStorage(), 'a', { now: 0 }, { maxBytes: 2500 });
    queue.add(event('1', 1000));
    queue.add(event('2', 1000));
    expect(ids(queue.add(event('3', 1000)))).toEqual(['1']);
    expect(ids(queue.entries)).toEqual(['2', '3']);
  });

  it('writes through to storage under its own key, and removes the key once empty', () => {
    const storage = memoryStorage();
    const queue = queueOn(storage, 'a', { now: 5 });
    queue.add(event('1'));
    queue.add(event('2'));
    const stored = JSON.parse(storage.getItem(`${PREFIX}a`) ?? '') as { at: number; closed: boolean; events: { event_id: string }[] };
    expect(stored).toMatchObject({ at: 5, closed: false });
    expect(stored.events.map((e) => e.event_id)).toEqual(['1', '2']);
    expect(ids(queue.removeWhere((e) => e.id === '1'))).toEqual(['1']);
    queue.removeWhere(() => true);
    expect(storage.items.size).toBe(0);
  });

  it('goes on in memory when storage refuses writes', () => {
    const storage = memoryStorage();
    storage.failWrites = true;
    const queue = queueOn(storage, 'a', { now: 0 });
    queue.add(event('1'));
    expect(ids(queue.entries)).toEqual(['1']);
  });

  it('takes over a closed page’s queue at once, oldest events first, without repeats', () => {
    const storage = memoryStorage();
    const clock = { now: 1000 };
    const earlier = queueOn(storage, 'earlier', clock);
    earlier.add(event('1'));
    earlier.add(event('2'));
    earlier.close();
    const next = queueOn(storage, 'next', clock);
    next.add(event('3'));
    next.add(event('2'));
    expect(next.adopt()).toEqual([]);
    expect(ids(next.entries)).toEqual(['1', '2', '3']);
    expect([...storage.items.keys()]).toEqual([`${PREFIX}next`]);
  });

  it('leaves a live tab’s queue alone, and takes it once it stopped writing', () => {
    const storage = memoryStorage();
    const clock = { now: 1000 };
    queueOn(storage, 'live', clock).add(event('1'));
    const other = queueOn(storage, 'other', clock);
    clock.now += ORPHAN_AFTER_MS - 1;
    other.adopt();
    expect(other.entries).toEqual([]);
    clock.now += 1;
    other.adopt();
    expect(ids(other.entries)).toEqual(['1']);
  });

  it('bounds what it takes over', () => {
    const storage = memoryStorage();
    const clock = { now: 0 };
    const earlier = queueOn(storage, 'earlier', clock);
    for (const id of ['1', '2', '3']) earlier.add(event(id));
    earlier.close();
    const next = queueOn(storage, 'next', clock, { maxEvents: 2 });
    expect(ids(next.adopt())).toEqual(['1']);
    expect(ids(next.entries)).toEqual(['2', '3']);
  });

  it('drops unreadable stored queues and keeps other keys', () => {
    const storage = memoryStorage();
    storage.setItem(`${PREFIX}broken`, '{"at":');
    storage.setItem('shop-cart', '[1,2]');
    const queue = queueOn(storage, 'a', { now: 0 });
    queue.adopt();
    expect([...storage.items.keys()]).toEqual(['shop-cart']);
  });
});
