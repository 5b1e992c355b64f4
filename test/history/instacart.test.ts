import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalHistoryFiles } from '../../functions/adapters/local/local-history-files.ts';
import { readInstacart } from '../../functions/history/instacart.ts';
import { orderEventId } from '../../functions/history/order-event-id.ts';
import type { HistoryRow } from '../../functions/history/ports.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const scope = { receivedAt: NOW, receivedAtIso: NOW.toISOString(), maxFutureSkewMs: 300_000 };

/** A small Instacart layout, its answers worked out by hand below. */
export function smallInstacart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'instacart-'));
  const files: Record<string, string[]> = {
    'aisles.csv': ['aisle_id,aisle', '1,fresh fruits', '2,milk'],
    'departments.csv': ['department_id,department', '4,produce', '16,dairy eggs'],
    'products.csv': ['product_id,product_name,aisle_id,department_id', '10,Banana,1,4', '20,"Milk, whole",2,16', '30,Mystery,99,1'],
    'orders.csv': [
      'order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order',
      '100,1,prior,1,2,08,',
      '101,1,prior,2,3,10,7.0',
      '102,1,prior,3,4,09,14.0',
      '103,1,train,4,5,15,3.0',
      '200,2,prior,1,0,20,',
      '201,2,prior,2,0,20,0.0',
      '202,2,test,3,1,11,5.0',
    ],
    'order_products__prior.csv': [
      'order_id,product_id,add_to_cart_order,reordered',
      '100,10,1,0',
      '100,20,2,0',
      '101,10,1,1',
      '102,10,1,1',
      '102,30,2,0',
      '200,20,1,0',
      '201,20,1,1',
      '999,10,1,0',
    ],
    'order_products__train.csv': ['order_id,product_id,add_to_cart_order,reordered', '103,10,1,1', '103,20,2,1'],
  };
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return dir;
}

async function read(folder: string, anchor: Date) {
  const reader = readInstacart(createLocalHistoryFiles(), folder, scope, anchor);
  const rows: HistoryRow[] = [];
  for await (const row of reader.rows) rows.push(row);
  return { rows, linesRead: reader.linesRead(), skipped: reader.skipped() };
}

describe('the Instacart Market Basket layout', () => {
  it('places each shopper’s last prior order on the anchor’s day at its hour and walks back by the gaps', async () => {
    const { rows, linesRead, skipped } = await read(smallInstacart(), new Date('2026-05-31T23:59:59.999Z'));
    const events = rows.flatMap((r) => (r.kind === 'event' && r.event.type === 'order_completed' ? [r.event] : []));
    expect(
      events.map((e) => [e.user_id, e.data.order_id, e.event_time, e.data.items.map((i) => `${i.sku} ${i.name} (${i.category})`)]),
    ).toEqual([
      // Shopper 1: order 102 on the anchor's day at 09:00; 101 fourteen days before at 10:00; 100 seven before that at 08:00.
      ['1', '100', '2026-05-10T08:00:00.000Z', ['10 Banana (fresh fruits)', '20 Milk, whole (milk)']],
      ['1', '101', '2026-05-17T10:00:00.000Z', ['10 Banana (fresh fruits)']],
      ['1', '102', '2026-05-31T09:00:00.000Z', ['10 Banana (fresh fruits)']],
      // Shopper 2: two orders on one day at the same hour; the later one a minute after.
      ['2', '200', '2026-05-31T20:00:00.000Z', ['20 Milk, whole (milk)']],
      ['2', '201', '2026-05-31T20:01:00.000Z', ['20 Milk, whole (milk)']],
    ]);
    expect(events[0]).toMatchObject({
      event_id: orderEventId('1', '100'),
      data: {
        total: 0,
        items: [
          { price: 0, quantity: 1 },
          { price: 0, quantity: 1 },
        ],
      },
    });
    expect(events.every((e) => e.data.items.every((i) => i.brand === undefined))).toBe(true);
    expect(rows.flatMap((r) => (r.kind === 'rejected' ? [[r.line, r.reason]] : []))).toEqual([
      [4, 'products.csv: aisle_id 99 is not in aisles.csv'],
      [6, 'order_products__prior.csv: product_id 30 is not in products.csv'],
      [9, 'order_products__prior.csv: order_id 999 is not in orders.csv'],
    ]);
    // Shopper 1's train order, three days after the anchor at 15:00, is after the import: left out and counted.
    expect(skipped).toEqual({ "train orders placed after the import's time by the anchor (choose an earlier --anchor to import them)": 1 });
    expect(linesRead).toBe(27);
  });

  it('keeps the train order when the anchor leaves room for it, and never places an order after the anchor', async () => {
    const { rows } = await read(smallInstacart(), new Date('2026-05-20T12:00:00.000Z'));
    const times = Object.fromEntries(
      rows.flatMap((r) => (r.kind === 'event' && r.event.type === 'order_completed' ? [[r.event.data.order_id, r.event.event_time]] : [])),
    );
    // Shopper 1's 102 at 09:00 on the anchor's day; shopper 2's 201 at 20:00 would be after the anchor (12:00): the day before.
    expect(times).toEqual({
      '100': '2026-04-29T08:00:00.000Z',
      '101': '2026-05-06T10:00:00.000Z',
      '102': '2026-05-20T09:00:00.000Z',
      '103': '2026-05-23T15:00:00.000Z',
      '200': '2026-05-19T20:00:00.000Z',
      '201': '2026-05-19T20:01:00.000Z',
    });
  });
});
