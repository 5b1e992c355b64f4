import { describe, expect, it } from 'vitest';
import { loadCollectSettings, loadDeadlines, loadIngestSettings, loadOperatorsSettings } from '../functions/config.ts';
import { loadPatternsSettings } from '../functions/patterns/function.ts';

const required = { GOOGLE_CLOUD_PROJECT: 'demo-test', TOKEN_KEY: 'k'.repeat(40) };

describe('settings', () => {
  it('fills every default from the documented values', () => {
    expect(loadCollectSettings(required)).toEqual({
      projectId: 'demo-test',
      topics: { events: 'events', rejected: 'rejected-events' },
      token: { key: 'k'.repeat(40), issuer: 'grocery-shop', audience: 'learning-loop', clockToleranceSec: 30 },
      corsOrigins: '*',
      timeLimits: { maxEventAgeMs: 30 * 86_400_000, maxFutureSkewMs: 300_000 },
      publishBatching: { maxMessages: 100, maxMilliseconds: 10, maxBytes: 1_048_576 },
      logLevel: 'INFO',
    });
  });

  it('reads overrides, including an origin allow-list', () => {
    const settings = loadCollectSettings({
      ...required,
      CORS_ORIGINS: 'https://a.example, https://b.example',
      MAX_EVENT_AGE_DAYS: '7',
      PUBLISH_BATCH_MAX_MILLISECONDS: '0',
    });
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(settings.timeLimits.maxEventAgeMs).toBe(7 * 86_400_000);
    expect(settings.publishBatching.maxMilliseconds).toBe(0);
  });

  it('refuses to start without what it cannot default, naming it', () => {
    expect(() => loadCollectSettings({ GOOGLE_CLOUD_PROJECT: 'p' })).toThrow(/invalid settings: TOKEN_KEY/);
    expect(() => loadCollectSettings({ ...required, LOG_LEVEL: 'LOUD' })).toThrow(/LOG_LEVEL/);
  });
});

describe('ingest settings', () => {
  it('default to BigQuery and need no token key', () => {
    expect(loadIngestSettings({ GOOGLE_CLOUD_PROJECT: 'demo-test' })).toEqual({
      projectId: 'demo-test',
      warehouse: { kind: 'bigquery', dataset: 'learning_loop' },
      markerTtlDays: 8,
      logLevel: 'INFO',
    });
  });

  it('take a DuckDB file for the local stack, and refuse other warehouses', () => {
    expect(loadIngestSettings({ GOOGLE_CLOUD_PROJECT: 'p', WAREHOUSE: 'duckdb:/tmp/w.duckdb' }).warehouse).toEqual({
      kind: 'duckdb',
      path: '/tmp/w.duckdb',
    });
    expect(() => loadIngestSettings({ GOOGLE_CLOUD_PROJECT: 'p', WAREHOUSE: 'postgres' })).toThrow(
      /WAREHOUSE: must be bigquery or duckdb:<file>/,
    );
  });

  describe('of the patterns job', () => {
    it('default to BigQuery with a 1 TiB cost guard and 15 minutes of settling', () => {
      expect(loadPatternsSettings({ GOOGLE_CLOUD_PROJECT: 'p' })).toEqual({
        projectId: 'p',
        warehouse: { kind: 'bigquery', dataset: 'learning_loop' },
        location: undefined,
        maximumBytesBilled: 1024 ** 4,
        settleMs: 15 * 60_000,
        sliceShoppers: 20_000,
        logLevel: 'INFO',
      });
    });

    it('take the deployed values, and refuse a cost guard that is not a positive integer', () => {
      const env = {
        GOOGLE_CLOUD_PROJECT: 'p',
        BIGQUERY_DATASET: 'ds',
        BIGQUERY_LOCATION: 'EU',
        MAXIMUM_BYTES_BILLED: '1000000000',
        PATTERNS_SETTLE_MINUTES: '0',
      };
      expect(loadPatternsSettings(env)).toMatchObject({
        warehouse: { kind: 'bigquery', dataset: 'ds' },
        location: 'EU',
        maximumBytesBilled: 1e9,
        settleMs: 0,
      });
      expect(() => loadPatternsSettings({ ...env, MAXIMUM_BYTES_BILLED: '-1' })).toThrow(/MAXIMUM_BYTES_BILLED/);
      expect(() => loadPatternsSettings({ ...env, PATTERNS_SETTLE_MINUTES: 'soon' })).toThrow(/PATTERNS_SETTLE_MINUTES/);
      expect(loadPatternsSettings({ ...env, PATTERNS_SLICE_SHOPPERS: '5000' })).toMatchObject({ sliceShoppers: 5000 });
      expect(() => loadPatternsSettings({ ...env, PATTERNS_SLICE_SHOPPERS: '0' })).toThrow(/PATTERNS_SLICE_SHOPPERS/);
    });
  });
});

describe('operators settings', () => {
  it('read the warehouse the dashboard queries as the batch jobs do, and need no token key', () => {
    expect(loadOperatorsSettings({ GOOGLE_CLOUD_PROJECT: 'p' })).toEqual({
      projectId: 'p',
      warehouse: { kind: 'bigquery', dataset: 'learning_loop' },
      location: undefined,
      maximumBytesBilled: 1024 ** 4,
      logLevel: 'INFO',
    });
    expect(loadOperatorsSettings({ GOOGLE_CLOUD_PROJECT: 'p', WAREHOUSE: 'duckdb:/tmp/w.duckdb', LOG_LEVEL: 'DEBUG' })).toMatchObject({
      warehouse: { kind: 'duckdb', path: '/tmp/w.duckdb' },
      logLevel: 'DEBUG',
    });
    expect(() => loadOperatorsSettings({ GOOGLE_CLOUD_PROJECT: 'p', MAXIMUM_BYTES_BILLED: '0' })).toThrow(/MAXIMUM_BYTES_BILLED/);
  });
});

describe('deadlines', () => {
  it('default to a second and a half for Firestore, longer for learning, the warehouse and the dashboard', () => {
    expect(loadDeadlines({})).toEqual({
      firestoreMs: 1500,
      learningMs: 10_000,
      publishMs: 2000,
      warehouseInsertMs: 10_000,
      dashboardMs: 30_000,
    });
  });

  it('read overrides and refuse a deadline that is not a positive whole number of ms, naming it', () => {
    expect(loadDeadlines({ FIRESTORE_DEADLINE_MS: '800', PUBLISH_DEADLINE_MS: '1000' })).toMatchObject({
      firestoreMs: 800,
      publishMs: 1000,
    });
    expect(() => loadDeadlines({ FIRESTORE_DEADLINE_MS: '0' })).toThrow(/invalid settings: FIRESTORE_DEADLINE_MS/);
    expect(() => loadDeadlines({ LEARNING_DEADLINE_MS: '1.5' })).toThrow(/LEARNING_DEADLINE_MS/);
  });
});
