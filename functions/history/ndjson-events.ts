import { LIMITS } from '../events/limits.ts';
import { ShopperId } from '../kernel/shopper-id.ts';
import { historyEvent, rejectedPayload, type HistoryScope } from './history-event.ts';
import type { HistoryReader, HistoryRow } from './ports.ts';
import { textLines } from './text-lines.ts';

/**
 * NDJSON events of the contract, one per line: an event as a client sends it, with the shopper's `user_id` and, if
 * the history knows better than `occurred_at`, its `event_time`. A `received_at` is the import's own time, whatever
 * the line says (an export of the warehouse carries one). Each line is checked on its own; a bad one is rejected and
 * the others go on.
 */
export function readNdjsonEvents(text: AsyncIterable<string>, scope: HistoryScope): HistoryReader {
  let linesRead = 0;
  async function* rows(): AsyncGenerator<HistoryRow> {
    // A line in characters is never more bytes than characters; bytes are checked again per event.
    for await (const line of textLines(text, LIMITS.maxEventBytes)) {
      linesRead = line.line;
      if ('tooLong' in line) {
        yield rejected(line.line, `the line is longer than ${LIMITS.maxEventBytes} characters, more than one event may be`, '', null);
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(line.text);
      } catch {
        yield rejected(line.line, 'the line is not JSON', line.text, null);
        continue;
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        yield rejected(line.line, 'the line must be a JSON object: one event', line.text, null);
        continue;
      }
      const { user_id: userId, event_time: eventTime, received_at: _receivedAt, ...event } = json as Record<string, unknown>;
      const outcome = historyEvent(event, userId, eventTime, scope);
      if (outcome.ok) yield { kind: 'event', line: line.line, event: outcome.event };
      else yield rejected(line.line, outcome.reason, rejectedPayload(json), json as Record<string, unknown>);
    }
  }
  return { rows: rows(), linesRead: () => linesRead, skipped: () => ({}) };
}

function rejected(line: number, reason: string, payload: string, json: Record<string, unknown> | null): HistoryRow {
  const text = (key: string) => (typeof json?.[key] === 'string' ? String(json[key]).slice(0, LIMITS.maxIdLength) : null);
  // Only a shopper's id names the row's shopper (erasure finds it by that column); anything else stays in the payload.
  const userId = ShopperId.safeParse(json?.user_id);
  return {
    kind: 'rejected',
    line,
    reason,
    payload,
    userId: userId.success ? userId.data : null,
    eventId: text('event_id'),
    type: text('type'),
  };
}
