import { describe, expect, it } from 'vitest';
import { orderEventId } from '../../functions/history/order-event-id.ts';
import { readOrderLines } from '../../functions/history/order-lines.ts';
import { UnreadableHistory, type HistoryRow } from '../../functions/history/ports.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const scope = { receivedAt: NOW, receivedAtIso: NOW.toISOString(), maxFutureSkewMs: 300_000 };
const HEADER = 'order_id,shopper_id,ordered_at,sku,name,category,brand,price,quantity';

async function rowsOf(...lines: string[]): Promise<HistoryRow[]> {
  async function* text() {
    yield `${lines.join('\n')}\n`;
  }
  const rows: HistoryRow[] = [];
  for await (const row of readOrderLines(text(), scope).rows) rows.push(row);
  return rows;
}

const reasons = (rows: HistoryRow[]) => rows.flatMap((r) => (r.kind === 'rejected' ? [[r.line, r.reason]] : []));

describe('CSV order lines', () => {
  it('make one order_completed per run of one shopper’s order, its id from (shopper, order id)', async () => {
    const rows = await rowsOf(
      HEADER,
      'o-1,alice,2026-05-01T10:00:00+02:00,milk,Oat milk 1 l,dairy,Oatly,2.49,2',
      'o-1,alice,2026-05-01T10:00:00+02:00,bread,Rye bread,bakery,,3.10,1',
      'o-1,bob,2026-05-02T09:00:00Z,milk,Oat milk 1 l,dairy,Oatly,2.49,1',
    );
    expect(rows.map((r) => r.kind)).toEqual(['event', 'event']);
    const [alice, bob] = rows.flatMap((r) => (r.kind === 'event' ? [r] : []));
    expect(alice?.line).toBe(2);
    expect(alice?.event).toMatchObject({
      event_id: orderEventId('alice', 'o-1'),
      type: 'order_completed',
      user_id: 'alice',
      session_id: 'o-1',
      occurred_at: '2026-05-01T10:00:00+02:00',
      event_time: '2026-05-01T08:00:00.000Z',
      received_at: NOW.toISOString(),
      data: {
        order_id: 'o-1',
        // 2 × 2.49 + 3.10
        total: 8.08,
        items: [
          { sku: 'milk', name: 'Oat milk 1 l', category: 'dairy', brand: 'Oatly', price: 2.49, quantity: 2 },
          { sku: 'bread', name: 'Rye bread', category: 'bakery', price: 3.1, quantity: 1 },
        ],
      },
    });
    // The same order id of another shopper is another order.
    expect(bob?.event.event_id).toBe(orderEventId('bob', 'o-1'));
    expect(bob?.event.event_id).not.toBe(alice?.event.event_id);
  });

  it('reject a bad line with its number and why, and keep the good lines of its order', async () => {
    const rows = await rowsOf(
      HEADER,
      'o-1,alice,2026-05-01T10:00:00Z,milk,Oat milk,dairy,Oatly,two,1',
      'o-1,alice,2026-05-01T10:00:00Z,eggs,Eggs,eggs,,3.00,1',
      'o-1,al ice,2026-05-01T10:00:00Z,eggs,Eggs,eggs,,3.00,1',
      'o-1,alice,yesterday,eggs,Eggs,eggs,,3.00,1',
      'o-1,alice,2026-05-01T10:00:00Z,eggs,Eggs,eggs,,-1,1',
      'o-1,alice,2026-05-01T11:00:00Z,flour,Flour,baking,,1.00,1',
      'o-2,alice,2026-05-03T10:00:00Z,flour,Flour,baking',
      'o-3,alice,2030-01-01T00:00:00Z,flour,Flour,baking,,1.00,1',
    );
    expect(reasons(rows)).toEqual([
      [2, 'price: must be a number, e.g. 2.49'],
      [4, 'shopper_id: must be 1–128 printable ASCII characters without spaces'],
      [5, 'ordered_at: must be an RFC 3339 date-time with an offset, e.g. 2026-03-01T10:00:00Z'],
      [6, 'price: Too small: expected number to be >=0'],
      [7, 'ordered_at differs from the one on line 3 of the same order'],
      [8, 'the line has 6 fields; the header has 9'],
      [9, 'the order (line 9): event_time is 1310 days after the import; history cannot lie in the future'],
    ]);
    const events = rows.flatMap((r) => (r.kind === 'event' ? [r] : []));
    expect(events.map((e) => [e.line, e.event.type === 'order_completed' ? e.event.data.items.map((i) => i.sku) : []])).toEqual([
      [3, ['eggs']],
    ]);
  });

  it('reads optional columns in any order: currency, promotion and dietary tags', async () => {
    const rows = await rowsOf(
      'shopper_id,order_id,ordered_at,quantity,price,brand,category,name,sku,currency,dietary_tags,promotion',
      'alice,o-9,2026-05-01T10:00:00Z,1,1.99,,dairy,Soy drink,soy,EUR,vegan|gluten_free,SPRING',
    );
    expect(rows[0]).toMatchObject({
      kind: 'event',
      event: { data: { currency: 'EUR', items: [{ sku: 'soy', dietary_tags: ['vegan', 'gluten_free'], promotion: 'SPRING' }] } },
    });
  });

  it('refuse a file whose header misses a column or names an unknown one', async () => {
    await expect(rowsOf('order_id,shopper_id,ordered_at,sku,name,category,price,quantity,colour', 'x')).rejects.toThrow(
      new UnreadableHistory(
        'the header row must name order_id, shopper_id, ordered_at, sku, name, category, brand, price, quantity (and may add currency, promotion, dietary_tags): missing brand; unknown "colour"',
      ),
    );
    await expect(rowsOf('')).rejects.toThrow(UnreadableHistory);
  });

  it('keep at most the contract’s items per order, rejecting the lines beyond', async () => {
    const lines = Array.from({ length: 202 }, (_, i) => `o-1,alice,2026-05-01T10:00:00Z,sku-${i},Item ${i},pantry,,1.00,1`);
    const rows = await rowsOf(HEADER, ...lines);
    expect(reasons(rows)).toEqual([
      [202, 'the order already has 200 items, the most one order may have'],
      [203, 'the order already has 200 items, the most one order may have'],
    ]);
  });
});
