import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../functions/events/schema.ts';
import { parseTableDdl, type ColumnDdl, type ColumnType, type TableDdl } from '../../functions/warehouse/ddl.ts';
import type { EventRow, OrderItemRow, RejectedRow } from '../../functions/warehouse/ports.ts';
import { eventRow, orderItemRows, rejectedMessageRow, rejectedRows } from '../../functions/warehouse/rows.ts';
import { readTableDdl } from '../../functions/warehouse/sql-files.ts';
import { everyEventShape } from './samples.ts';

/**
 * The zod contract, the row types of ports.ts, the mapping of rows.ts and the DDL of sql/ must agree:
 * every column a row has is declared, with a type that holds its value and a nullability that
 * allows it, and every declared column is filled by the mapping.
 */

/** The keys whose TypeScript type admits null; `satisfies` below keeps the lists exact at compile time. */
type NullableKeys<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T];
type Exactly<K extends PropertyKey> = Record<K, true>;

const NULLABLE = {
  events: {
    search_id: true,
    query: true,
    sku: true,
    product_name: true,
    category: true,
    brand: true,
    price: true,
    quantity: true,
    position: true,
    cart_value: true,
    order_id: true,
    order_total: true,
    personalized: true,
    experiments: true,
    context: true,
    import_id: true,
  } satisfies Exactly<NullableKeys<EventRow>>,
  order_items: { brand: true, promotion: true, import_id: true } satisfies Exactly<NullableKeys<OrderItemRow>>,
  rejected_events: { event_index: true, event_id: true, type: true, user_id: true } satisfies Exactly<NullableKeys<RejectedRow>>,
};

function sampleRows(): Record<keyof typeof NULLABLE, Record<string, unknown>[]> {
  const events = everyEventShape();
  // Collected live, and loaded by a history import: the same events, marked.
  const importId = 'imp-0123456789abcdef0123';
  return {
    events: [
      ...events.map((e) => eventRow(e, '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e')),
      ...events.map((e) => eventRow(e, importId, importId)),
    ],
    order_items: [...events.flatMap((e) => orderItemRows(e)), ...events.flatMap((e) => orderItemRows(e, importId))],
    rejected_events: [
      ...rejectedRows({
        schema_version: 1,
        request_id: '7c0d6f0e-2a55-4c51-9a8e-0a9b3c1f2d4e',
        user_id: 'shopper-1',
        received_at: '2026-11-26T12:00:00Z',
        source: 'collect',
        rejected: [{ index: 2, event_id: 'e-2', type: 'search_performed', reason: 'bad', payload: '{}' }],
      }),
      rejectedMessageRow({ messageId: 'm-1', raw: 'x', reason: 'not JSON', source: 'ingest', receivedAt: '2026-11-26T12:00:00Z' }),
    ],
  };
}

/** Whether a JavaScript value, as the mapping makes it, is one the column type stores faithfully. */
function holds(type: ColumnType, value: unknown): boolean {
  switch (type) {
    case 'STRING':
      return typeof value === 'string';
    case 'INT64':
      return Number.isSafeInteger(value);
    case 'FLOAT64':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BOOL':
      return typeof value === 'boolean';
    case 'TIMESTAMP':
      return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) && !Number.isNaN(Date.parse(value));
    case 'JSON':
      return typeof value === 'string' && isJson(value);
    case 'ARRAY<STRING>':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    default:
      return false;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Problems between one table's DDL and its sample rows; empty when they agree. */
function disagreements(ddl: TableDdl, rows: Record<string, unknown>[], nullable: Record<string, true>): string[] {
  const problems: string[] = [];
  const columns = new Map<string, ColumnDdl>(ddl.columns.map((c) => [c.name, c]));
  if (rows.length === 0) return [`${ddl.table}: no sample rows`];
  for (const [i, row] of rows.entries()) {
    for (const key of Object.keys(row)) if (!columns.has(key)) problems.push(`${ddl.table}: row ${i} has ${key}, which is not a column`);
    for (const column of ddl.columns) {
      const value = row[column.name];
      if (value === undefined) problems.push(`${ddl.table}: row ${i} has no ${column.name}`);
      else if (value === null && column.notNull) problems.push(`${ddl.table}: row ${i} has NULL in NOT NULL ${column.name}`);
      else if (value !== null && !holds(column.type, value))
        problems.push(`${ddl.table}: row ${i}: ${column.name} = ${JSON.stringify(value)} is not a ${column.type}`);
    }
  }
  for (const column of ddl.columns) {
    // BigQuery arrays are never NULL, so an ARRAY column is nullable in the DDL but not in the type.
    const nullableInDdl = !column.notNull && !column.type.startsWith('ARRAY<');
    if (nullableInDdl !== column.name in nullable) {
      problems.push(
        `${ddl.table}: ${column.name} is ${nullableInDdl ? '' : 'NOT '}NULL in the DDL but ${nullableInDdl ? 'not ' : ''}nullable in ports.ts`,
      );
    }
    const values = rows.map((r) => r[column.name]);
    if (values.every((v) => v === null || v === undefined)) problems.push(`${ddl.table}: the mapping never fills ${column.name}`);
    if (nullableInDdl && !values.includes(null)) problems.push(`${ddl.table}: no sample row has ${column.name} NULL`);
  }
  return problems;
}

describe('the warehouse contract', () => {
  it('samples every event type, in full and minimal form', () => {
    expect(new Set(everyEventShape().map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
  });

  it.each(Object.keys(NULLABLE) as (keyof typeof NULLABLE)[])('sql/%s.sql and the rows of the mapping agree', async (table) => {
    const ddl = parseTableDdl(await readTableDdl(table));
    expect(disagreements(ddl, sampleRows()[table], NULLABLE[table])).toEqual([]);
  });

  it('partitions and clusters as the batch queries expect, and requires a partition filter on event tables', async () => {
    const events = parseTableDdl(await readTableDdl('events'));
    const items = parseTableDdl(await readTableDdl('order_items'));
    const rejected = parseTableDdl(await readTableDdl('rejected_events'));
    expect([events.partitionBy, events.clusterBy, events.options]).toEqual([
      { column: 'event_time', byDate: true },
      ['user_id', 'type'],
      expect.objectContaining({ require_partition_filter: true, partition_expiration_days: 730, description: expect.any(String) }),
    ]);
    expect([items.partitionBy, items.clusterBy, items.options]).toEqual([
      { column: 'event_time', byDate: true },
      ['user_id', 'sku'],
      expect.objectContaining({ require_partition_filter: true }),
    ]);
    expect([rejected.partitionBy, rejected.clusterBy, rejected.options]).toEqual([
      { column: 'received_at', byDate: true },
      ['source'],
      expect.objectContaining({ partition_expiration_days: 90 }),
    ]);
  });
});

describe('the contract check itself', () => {
  const ddl = parseTableDdl('CREATE TABLE IF NOT EXISTS t (a STRING NOT NULL, b INT64, c TIMESTAMP NOT NULL, d ARRAY<STRING>)');
  const good = [
    { a: 'x', b: 1, c: '2026-11-26T12:00:00.000Z', d: [] },
    { a: 'y', b: null, c: '2026-11-26T12:00:00.000Z', d: ['v'] },
  ];

  it('passes rows that fit', () => {
    expect(disagreements(ddl, good, { b: true })).toEqual([]);
  });

  it.each([
    ['an undeclared key', [...good, { ...good[0], e: 1 }], { b: true }, /e, which is not a column/],
    ['a missing column', [{ a: 'x', b: null, c: '2026-11-26T12:00:00.000Z' }], { b: true }, /has no d/],
    ['NULL in a NOT NULL column', [...good, { ...good[0], a: null }], { b: true }, /NULL in NOT NULL a/],
    ['a fraction in an INT64', [...good, { ...good[0], b: 1.5 }], { b: true }, /b = 1.5 is not a INT64/],
    ['a timestamp with an offset', [...good, { ...good[0], c: '2026-11-26T13:00:00+01:00' }], { b: true }, /is not a TIMESTAMP/],
    ['a nullable type on a NOT NULL column', good, { a: true, b: true }, /a is NOT NULL in the DDL but nullable/],
    ['a nullable column whose type is not nullable', good, {}, /b is NULL in the DDL but not nullable/],
    ['a nullable column never NULL in the samples', [good[0]], { b: true }, /no sample row has b NULL/],
    ['a column never filled', good.map((r) => ({ ...r, b: null })), { b: true }, /never fills b/],
  ])('reports %s', (_, rows, nullable, problem) => {
    expect(disagreements(ddl, rows as Record<string, unknown>[], nullable as Record<string, true>).join('\n')).toMatch(problem);
  });

  it.each([
    ['STRING', 'x', true],
    ['STRING', 1, false],
    ['INT64', 3, true],
    ['INT64', 3.5, false],
    ['FLOAT64', 3.5, true],
    ['FLOAT64', '3.5', false],
    ['BOOL', false, true],
    ['BOOL', 0, false],
    ['JSON', '{"a":1}', true],
    ['JSON', '{a:1}', false],
    ['ARRAY<STRING>', ['a'], true],
    ['ARRAY<STRING>', [1], false],
    ['ARRAY<INT64>', [1], false],
  ] as const)('holds(%s, %j) is %s', (type, value, expected) => {
    expect(holds(type, value)).toBe(expected);
  });
});
