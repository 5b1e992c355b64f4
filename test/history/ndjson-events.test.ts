import { describe, expect, it } from 'vitest';
import { readNdjsonEvents } from '../../functions/history/ndjson-events.ts';
import type { HistoryRow } from '../../functions/history/ports.ts';
import { validEvent } from '../support/fixtures.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const scope = { receivedAt: NOW, receivedAtIso: NOW.toISOString(), maxFutureSkewMs: 300_000 };
const MONTHS_AGO = new Date('2026-01-10T08:00:00.000Z');

async function rowsOf(lines: string[]): Promise<HistoryRow[]> {
  async function* text() {
    yield lines.join('\r\n');
  }
  const rows: HistoryRow[] = [];
  for await (const row of readNdjsonEvents(text(), scope).rows) rows.push(row);
  return rows;
}

const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('NDJSON events', () => {
  it('read each line as an event of the contract with its shopper, however old, at occurred_at unless event_time says', async () => {
    const click = validEvent('search_result_clicked', {}, MONTHS_AGO);
    const order = validEvent('order_completed', {}, MONTHS_AGO);
    const rows = await rowsOf([
      line({ ...click, user_id: 'alice' }),
      '',
      line({ ...order, user_id: 'alice', event_time: '2026-01-10T07:59:00Z', received_at: '1999-01-01T00:00:00Z' }),
    ]);
    expect(rows).toEqual([
      {
        kind: 'event',
        line: 1,
        event: { ...click, user_id: 'alice', received_at: NOW.toISOString(), event_time: String(click.occurred_at) },
      },
      {
        kind: 'event',
        line: 3,
        event: { ...order, user_id: 'alice', received_at: NOW.toISOString(), event_time: '2026-01-10T07:59:00.000Z' },
      },
    ]);
  });

  it('reject a line that is no event of the contract, with its line and why, and read on', async () => {
    const view = validEvent('product_viewed', {}, MONTHS_AGO);
    const rows = await rowsOf([
      'not json',
      '[1, 2]',
      line(view),
      line({ ...view, user_id: 'al ice' }),
      line({ ...view, user_id: 'alice', type: 'page_viewed' }),
      line({ ...validEvent('product_viewed', {}, new Date('2026-07-01T00:00:00Z')), user_id: 'alice' }),
      line({ ...view, user_id: 'alice' }),
      JSON.stringify({ ...view, user_id: 'alice', context: { page_url: 'x'.repeat(40_000) } }),
    ]);
    expect(rows.map((r) => (r.kind === 'rejected' ? [r.line, r.reason] : [r.line, 'event']))).toEqual([
      [1, 'the line is not JSON'],
      [2, 'the line must be a JSON object: one event'],
      [3, 'user_id: Invalid input: expected string, received undefined'],
      [4, 'user_id: must be 1–128 printable ASCII characters without spaces'],
      [
        5,
        'type "page_viewed" is not an event type; expected one of search_performed, search_result_clicked, product_viewed, cart_item_added, cart_item_removed, cart_item_updated, order_completed, preference_updated',
      ],
      [6, 'event_time is 30 days after the import; history cannot lie in the future'],
      [7, 'event'],
      [8, 'the line is longer than 32768 characters, more than one event may be'],
    ]);
    expect(rows[3]).toMatchObject({ userId: null, eventId: view.event_id, type: 'product_viewed' });
  });
});
