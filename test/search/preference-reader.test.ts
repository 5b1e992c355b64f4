import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { PreferenceDocument, PreferenceDocumentReader } from '../../functions/learn/preference-document.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { DEFAULT_PRIVACY, type StoredPrivacy } from '../../functions/privacy/settings.ts';
import { createSearchPreferenceReader, type SearchPreferenceReaderSettings } from '../../functions/search/preference-reader.ts';
import type { ReorderModel } from '../../functions/kernel/reorder-model.ts';
import type { PrivacyReader, ReorderModelReader } from '../../functions/search/ports.ts';
import { reorderModelWhere } from '../support/reorder-models.ts';
import { affinity, ALL_ON, learned, NOW, patterns } from './shoppers.ts';

const DOCUMENT: PreferenceDocument = { learned: learned({ products: { a: affinity(1) } }), patterns: patterns() };

/**
 * Ports in memory that count their reads. `delayMs` holds every answer back (a slow Firestore);
 * `fail` makes the next reads fail. A fake is the point here: the timing logic is under test.
 */
function fakePorts(options: { document?: PreferenceDocument | null; privacy?: Partial<StoredPrivacy>; delayMs?: number } = {}) {
  const state = {
    documentReads: 0,
    privacyReads: 0,
    fail: undefined as 'document' | 'privacy' | 'sync' | undefined,
    delayMs: options.delayMs ?? 0,
  };
  const documents: PreferenceDocumentReader = {
    read(_userId) {
      state.documentReads += 1;
      if (state.fail === 'sync') throw new Error('client not ready');
      return (async () => {
        if (state.delayMs > 0) await sleep(state.delayMs);
        if (state.fail === 'document') throw new Error('deadline exceeded');
        return options.document === undefined ? DOCUMENT : options.document;
      })();
    },
  };
  const privacy: PrivacyReader = {
    async read(_userId) {
      state.privacyReads += 1;
      if (state.fail === 'privacy') throw new Error('permission denied');
      return { ...DEFAULT_PRIVACY, ...options.privacy, updated_at: null };
    },
  };
  return { ports: { documents, privacy }, state };
}

/** A clock the test moves by hand. */
function manualClock() {
  let ms = NOW.getTime();
  return { clock: () => new Date(ms), advance: (by: number) => (ms += by) };
}

const reader = (ports: ReturnType<typeof fakePorts>['ports'], settings: SearchPreferenceReaderSettings = {}) =>
  createSearchPreferenceReader(ports, settings);

describe('search preference reader: answers', () => {
  it('answers the document with the shopper’s personalization flags', async () => {
    const { ports } = fakePorts({ privacy: { learn_brands: false, track_searches: false } });
    expect(await reader(ports).read('shopper-1')).toEqual({
      preferences: { ...DOCUMENT, privacy: { ...ALL_ON, learn_brands: false }, reorder_model: null },
      reason: null,
      cached: false,
    });
  });

  it('answers missing without a document, or with one in which neither learning nor the patterns job wrote', async () => {
    expect(await reader(fakePorts({ document: null }).ports).read('u')).toEqual({ preferences: null, reason: 'missing', cached: false });
    expect(await reader(fakePorts({ document: { learned: null, patterns: null } }).ports).read('u')).toMatchObject({ reason: 'missing' });
    expect(await reader(fakePorts({ document: { learned: null, patterns: patterns() } }).ports).read('u')).toMatchObject({ reason: null });
  });

  it('answers not_learning when the shopper switched learn_preferences off, whatever the document holds', async () => {
    expect(await reader(fakePorts({ privacy: { learn_preferences: false } }).ports).read('u')).toEqual({
      preferences: null,
      reason: 'not_learning',
      cached: false,
    });
  });
});

describe('search preference reader: time budget', () => {
  it('answers timeout within the budget when the read is slow, and the search goes on', async () => {
    const { ports } = fakePorts({ delayMs: 500 });
    const started = performance.now();
    const answer = await reader(ports, { budgetMs: 20 }).read('u');
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ preferences: null, reason: 'timeout', cached: false });
    expect(elapsed).toBeGreaterThanOrEqual(15);
    expect(elapsed).toBeLessThan(150);
  });

  it('waits 50 ms by default', async () => {
    const { ports } = fakePorts({ delayMs: 1000 });
    const started = performance.now();
    expect(await reader(ports).read('u')).toMatchObject({ reason: 'timeout' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(200);
  });

  it('lets a read that missed the budget finish and fill the cache for the next search', async () => {
    const { ports, state } = fakePorts({ delayMs: 60 });
    const preferences = reader(ports, { budgetMs: 10 });
    expect(await preferences.read('u')).toMatchObject({ reason: 'timeout' });
    await sleep(100);
    expect(await preferences.read('u')).toMatchObject({ reason: null, cached: true });
    expect(state.documentReads).toBe(1);
  });

  it('shares one read among concurrent searches of one shopper', async () => {
    const { ports, state } = fakePorts({ delayMs: 20 });
    const preferences = reader(ports, { budgetMs: 200 });
    const answers = await Promise.all([preferences.read('u'), preferences.read('u'), preferences.read('u')]);
    expect(answers.map((a) => a.reason)).toEqual([null, null, null]);
    expect(state.documentReads).toBe(1);
  });
});

describe('search preference reader: errors never throw', () => {
  it.each(['document', 'privacy', 'sync'] as const)(
    'answers error when the %s read fails, logs it, and tries again next time',
    async (fail) => {
      const { ports, state } = fakePorts();
      const logger = createMemoryLogger();
      const preferences = reader(ports, { logger });
      state.fail = fail;
      expect(await preferences.read('u')).toEqual({ preferences: null, reason: 'error', cached: false });
      expect(logger.entries).toMatchObject([{ severity: 'WARNING', message: 'preferences could not be read; searching unpersonalized' }]);
      state.fail = undefined;
      expect(await preferences.read('u')).toMatchObject({ reason: null, cached: false });
    },
  );

  it('logs a timeout, without the shopper’s id', async () => {
    const { ports } = fakePorts({ delayMs: 100 });
    const logger = createMemoryLogger();
    await reader(ports, { budgetMs: 5, logger }).read('shopper-secret-id');
    expect(logger.entries).toMatchObject([{ severity: 'WARNING', budget_ms: 5 }]);
    expect(JSON.stringify(logger.entries)).not.toContain('shopper-secret-id');
  });

  it('still answers when the logger itself throws', async () => {
    const { ports, state } = fakePorts();
    state.fail = 'document';
    const logger = {
      ...createMemoryLogger(),
      warn: () => {
        throw new Error('log sink closed');
      },
    };
    expect(await reader(ports, { logger }).read('u')).toMatchObject({ reason: 'error' });
  });

  it('refuses nonsense settings at creation', () => {
    const { ports } = fakePorts();
    expect(() => reader(ports, { budgetMs: 0 })).toThrow(RangeError);
    expect(() => reader(ports, { ttlMs: Number.NaN })).toThrow(RangeError);
    expect(() => reader(ports, { maxEntries: -1 })).toThrow(RangeError);
  });
});

describe('search preference reader: cache', () => {
  it('answers a second search from the cache, without reading', async () => {
    const { ports, state } = fakePorts();
    const preferences = reader(ports);
    const first = await preferences.read('u');
    const second = await preferences.read('u');
    expect(second).toEqual({ ...first, cached: true });
    expect(state).toMatchObject({ documentReads: 1, privacyReads: 1 });
  });

  it('caches missing and not_learning as answers too', async () => {
    for (const options of [{ document: null }, { privacy: { learn_preferences: false } }]) {
      const { ports, state } = fakePorts(options);
      const preferences = reader(ports);
      await preferences.read('u');
      expect(await preferences.read('u')).toMatchObject({ cached: true });
      expect(state.documentReads).toBe(1);
    }
  });

  it('keeps an answer for 30 seconds by default, then reads again', async () => {
    const { ports, state } = fakePorts();
    const time = manualClock();
    const preferences = reader(ports, { clock: time.clock });
    await preferences.read('u');
    time.advance(29_999);
    expect(await preferences.read('u')).toMatchObject({ cached: true });
    time.advance(1);
    expect(await preferences.read('u')).toMatchObject({ cached: false });
    expect(state.documentReads).toBe(2);
  });

  it('takes a shorter time to live', async () => {
    const { ports } = fakePorts();
    const time = manualClock();
    const preferences = reader(ports, { clock: time.clock, ttlMs: 1000 });
    await preferences.read('u');
    time.advance(1000);
    expect(await preferences.read('u')).toMatchObject({ cached: false });
  });

  it('keeps at most maxEntries shoppers, dropping the least recently used', async () => {
    const { ports, state } = fakePorts();
    const preferences = reader(ports, { maxEntries: 2 });
    await preferences.read('u1');
    await preferences.read('u2');
    expect(await preferences.read('u1')).toMatchObject({ cached: true });
    await preferences.read('u3');
    expect(state.documentReads).toBe(3);
    expect(await preferences.read('u1')).toMatchObject({ cached: true });
    expect(await preferences.read('u2')).toMatchObject({ cached: false });
  });

  it('forgets a shopper on request, even with a read in flight', async () => {
    const { ports, state } = fakePorts({ delayMs: 30 });
    const preferences = reader(ports, { budgetMs: 5 });
    await preferences.read('u');
    preferences.forget('u');
    await sleep(50);
    state.delayMs = 0;
    expect(await preferences.read('u')).toMatchObject({ reason: null, cached: false });
    preferences.forget('u');
    expect(await preferences.read('u')).toMatchObject({ cached: false });
    expect(state.documentReads).toBe(3);
  });
});

describe('search preference reader: the reorder model', () => {
  /** A model store that counts its reads, answering `models` in turn, or failing while `fail` is set. */
  function modelStore(...models: ReorderModel[]) {
    const state = { reads: 0, fail: false };
    const reorderModel: ReorderModelReader = {
      async read() {
        state.reads += 1;
        if (state.fail) throw new Error('unavailable');
        return models[Math.min(state.reads, models.length) - 1] ?? null;
      },
    };
    return { reorderModel, state };
  }
  const first = reorderModelWhere(() => true, 'run-1');
  const second = reorderModelWhere(() => false, 'run-2');

  it('reads the model in force with the preferences, once per TTL for every shopper, then the next one', async () => {
    const { reorderModel, state } = modelStore(first, second);
    const { clock, advance } = manualClock();
    const preferences = createSearchPreferenceReader({ ...fakePorts().ports, reorderModel }, { clock, ttlMs: 1_000 });
    expect((await preferences.read('u1')).preferences?.reorder_model?.version).toBe('run-1');
    expect((await preferences.read('u2')).preferences?.reorder_model?.version).toBe('run-1');
    expect(state.reads).toBe(1);
    advance(1_000);
    preferences.forget('u1');
    expect((await preferences.read('u1')).preferences?.reorder_model?.version).toBe('run-2');
    expect(state.reads).toBe(2);
  });

  it('keeps deciding by the last model read when the next read fails, and tries again on the next search', async () => {
    const { reorderModel, state } = modelStore(first, second);
    const { clock, advance } = manualClock();
    const logger = createMemoryLogger();
    const preferences = createSearchPreferenceReader({ ...fakePorts().ports, reorderModel }, { clock, ttlMs: 1_000, logger });
    await preferences.read('u1');
    advance(1_000);
    state.fail = true;
    expect((await preferences.read('u2')).preferences?.reorder_model?.version).toBe('run-1');
    expect(logger.entries.map((e) => e.message)).toContain('the reorder model could not be read; deciding by the last one read');
    state.fail = false;
    expect((await preferences.read('u3')).preferences?.reorder_model?.version).toBe('run-2');
  });

  it('decides by the default rule (no model) without a model store, or before any model was fitted', async () => {
    expect((await reader(fakePorts().ports).read('u')).preferences?.reorder_model).toBeNull();
    expect(
      (await createSearchPreferenceReader({ ...fakePorts().ports, reorderModel: modelStore().reorderModel }).read('u')).preferences
        ?.reorder_model,
    ).toBeNull();
  });
});
