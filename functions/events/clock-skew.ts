import type { TimeLimits } from './limits.ts';

export type EventTimeOutcome = { ok: true; eventTime: Date } | { ok: false; reason: string };

/**
 * The Segment/Snowplow rule: the client's clock may be wrong, but the gap between `occurred_at`
 * and `sent_at` on that one clock is right, so `event_time = received_at − (sent_at − occurred_at)`.
 */
export function correctClockSkew(occurredAt: string, sentAt: string, receivedAt: Date, limits: TimeLimits): EventTimeOutcome {
  // An event sent as it happened needs no parsing: the same text is the same instant.
  const delayMs = sentAt === occurredAt ? 0 : Date.parse(sentAt) - Date.parse(occurredAt);
  if (-delayMs > limits.maxFutureSkewMs) {
    return {
      ok: false,
      reason: `occurred_at is ${formatDuration(-delayMs)} after sent_at; at most ${formatDuration(limits.maxFutureSkewMs)} is allowed`,
    };
  }
  if (delayMs > limits.maxEventAgeMs) {
    return {
      ok: false,
      reason: `event is ${formatDuration(delayMs)} old; events older than ${formatDuration(limits.maxEventAgeMs)} are not accepted`,
    };
  }
  // Within the tolerance an event may claim to be slightly in the future; it happened no later than now.
  return { ok: true, eventTime: new Date(receivedAt.getTime() - Math.max(0, delayMs)) };
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
