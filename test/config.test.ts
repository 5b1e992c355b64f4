import { describe, expect, it } from 'vitest';
import { loadCollectSettings, loadIngestSettings } from '../functions/config.ts';

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
    const settings = loadCollectSettings({ ...required, CORS_ORIGINS: 'https://a.example, https://b.example', MAX_EVENT_AGE_DAYS: '7', PUBLISH_BATCH_MAX_MILLISECONDS: '0' });
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
      clickThroughShards: 10,
      logLevel: 'INFO',
    });
  });

  it('take a DuckDB file for the local stack, and refuse other warehouses', () => {
    expect(loadIngestSettings({ GOOGLE_CLOUD_PROJECT: 'p', WAREHOUSE: 'duckdb:/tmp/w.duckdb' }).warehouse).toEqual({ kind: 'duckdb', path: '/tmp/w.duckdb' });
    expect(() => loadIngestSettings({ GOOGLE_CLOUD_PROJECT: 'p', WAREHOUSE: 'postgres' })).toThrow(/WAREHOUSE: must be bigquery or duckdb:<file>/);
  });
});
