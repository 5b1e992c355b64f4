import { describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, storedSession } from '../../functions/client/session.ts';
import { memoryStorage } from './fakes.ts';

describe('the browser session', () => {
  it('spans the pages of a visit, and starts anew after 30 idle minutes', () => {
    const storage = memoryStorage();
    const clock = { now: 0 };
    let made = 0;
    const newId = () => `session-${++made}`;
    const firstPage = storedSession(storage, 'k', () => clock.now, newId);
    expect(firstPage()).toBe('session-1');
    clock.now += SESSION_IDLE_MS;
    const nextPage = storedSession(storage, 'k', () => clock.now, newId);
    expect(nextPage()).toBe('session-1');
    clock.now += SESSION_IDLE_MS + 1;
    expect(nextPage()).toBe('session-2');
    expect(firstPage()).toBe('session-2');
  });

  it('lives in the page alone when storage is refused', () => {
    const storage = memoryStorage();
    storage.failWrites = true;
    let made = 0;
    const session = storedSession(
      storage,
      'k',
      () => 0,
      () => `session-${++made}`,
    );
    expect([session(), session()]).toEqual(['session-1', 'session-1']);
  });
});
