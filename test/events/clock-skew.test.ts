import { describe, expect, it } from 'vitest';
import { correctClockSkew, formatDuration } from '../../functions/events/clock-skew.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';

const receivedAt = new Date('2026-11-26T12:00:00.000Z');
const at = (iso: string) => iso;

describe('clock-skew correction', () => {
  it('moves the event by the client clock error: event_time = received_at − (sent_at − occurred_at)', () => {
    // The client clock runs 2 hours fast; the event happened 10 s before it was sent.
    const outcome = correctClockSkew(at('2026-11-26T13:59:50.000Z'), at('2026-11-26T14:00:00.000Z'), receivedAt, DEFAULT_TIME_LIMITS);
    expect(outcome).toEqual({ ok: true, eventTime: new Date('2026-11-26T11:59:50.000Z') });
  });

  it('keeps events queued offline for days, within the age limit', () => {
    const outcome = correctClockSkew(at('2026-11-20T12:00:00.000Z'), at('2026-11-26T12:00:00.000Z'), receivedAt, DEFAULT_TIME_LIMITS);
    expect(outcome).toEqual({ ok: true, eventTime: new Date('2026-11-20T12:00:00.000Z') });
  });

  it('rejects events older than the age limit, saying how old they are', () => {
    const outcome = correctClockSkew(at('2026-10-01T12:00:00.000Z'), at('2026-11-26T12:00:00.000Z'), receivedAt, DEFAULT_TIME_LIMITS);
    expect(outcome).toEqual({ ok: false, reason: 'event is 56 days old; events older than 30 days are not accepted' });
  });

  it('clamps a slightly future occurred_at to the receive time', () => {
    const outcome = correctClockSkew(at('2026-11-26T12:01:00.000Z'), at('2026-11-26T12:00:00.000Z'), receivedAt, DEFAULT_TIME_LIMITS);
    expect(outcome).toEqual({ ok: true, eventTime: receivedAt });
  });

  it('rejects an occurred_at too far after sent_at', () => {
    const outcome = correctClockSkew(at('2026-11-26T13:00:00.000Z'), at('2026-11-26T12:00:00.000Z'), receivedAt, DEFAULT_TIME_LIMITS);
    expect(outcome).toEqual({ ok: false, reason: 'occurred_at is 60 min after sent_at; at most 5 min is allowed' });
  });

  it('formats durations for people', () => {
    expect([formatDuration(5_000), formatDuration(600_000), formatDuration(3 * 3_600_000), formatDuration(4 * 86_400_000)]).toEqual([
      '5 s',
      '10 min',
      '3 h',
      '4 days',
    ]);
  });
});
