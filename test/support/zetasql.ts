/**
 * Google's ZetaSQL analyzer and reference evaluator as a test oracle for the BigQuery SQL of `sql/`,
 * through the gRPC server of `@fivetrandevelopers/zetasql` that `zetasql.global.ts` starts.
 *
 *   const zeta = await connectZetaSql(inject('zetasqlPort'), tables);   // tables: parseTableDdl(...) of sql/
 *   await zeta.analyze(sql, { as_of: 'TIMESTAMP' });                      // rejects with ZetaSQL's message
 *   const rows = await zeta.evaluate(sql, { tables: { events: [...] }, params: { as_of: new Date(...) } });
 *   const { table, changes } = await zeta.evaluateModify(insertSql, { tables, params });  // INSERT, UPDATE, DELETE
 *   zeta.close();
 *
 * The language is BigQuery-like: ZetaSQL's maximum released features in PRODUCT_EXTERNAL mode, with
 * BigQuery's UTC default time zone, microsecond TIMESTAMPs and INTERVAL arithmetic. It is a superset of
 * BigQuery in places and lacks some newer BigQuery syntax and functions (GROUP BY ALL, MAX_BY,
 * CONTAINS_SUBSTR, JSON_KEYS, pipes), so it is a strong check, not a proof.
 *
 * Values, in input rows and parameters as in result rows:
 *   STRING → string; INT64 → number (a bigint in results only beyond 2^53; input takes either);
 *   FLOAT64 → number; BOOL → boolean; DATE → 'YYYY-MM-DD';
 *   TIMESTAMP → UTC ISO 8601 as `Date#toISOString` writes it ('2026-03-01T10:00:00.000Z'), with six
 *     fractional digits when there are microseconds; input also takes a Date, and any offset;
 *   JSON → the parsed value (input: JSON text as a string, or any other value to serialize);
 *   ARRAY → array; STRUCT → object (results only); NULL → null.
 * In a table row a missing column is NULL, and a NULL ARRAY is stored as [] as BigQuery does.
 *
 * Parameter types follow `SqlParam` of functions/warehouse/ports.ts: Date → TIMESTAMP, integer
 * number → INT64, other number → FLOAT64, string → STRING, boolean → BOOL, array → ARRAY of its first
 * element's type. `types` overrides that, and is needed for a null, an empty array, a TIMESTAMP or
 * DATE given as a string, a JSON value, or a FLOAT64 that happens to be whole.
 *
 * Result rows are objects keyed by output column name, so every output column needs a distinct name.
 * Without ORDER BY the order of result rows is unspecified, as in BigQuery.
 */
import { ZetaSQLClient, TypeKind } from '@fivetrandevelopers/zetasql';
import { LanguageFeature } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageFeature.js';
import type { ServiceError } from '@grpc/grpc-js';
import type { AnalyzerOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/AnalyzerOptionsProto.js';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';
import type { ResolvedNodeKind } from '@fivetrandevelopers/zetasql/lib/types/zetasql/ResolvedNodeKind.js';
import type { SimpleCatalogProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleCatalogProto.js';
import type { TypeProto, TypeProto__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { ValueProto, ValueProto__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/ValueProto.js';
import type { TableContent } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/TableContent.js';
import type { ZetaSqlLocalServiceClient } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/ZetaSqlLocalService.js';
import { inject } from 'vitest';
import { parseTableDdl, type ScalarType, type TableDdl } from '../../functions/warehouse/ddl.ts';
import { readTableDdl, WAREHOUSE_TABLES } from '../../functions/warehouse/sql-files.ts';

export type ZetaScalarType = ScalarType | 'DATE';
export type ZetaType = ZetaScalarType | `ARRAY<${ZetaScalarType}>`;
export type ZetaRow = Record<string, unknown>;

export type EvaluateInput = {
  /** Rows per catalog table; tables left out are empty. */
  tables?: Record<string, readonly ZetaRow[]>;
  params?: Record<string, unknown>;
  /** Parameter types that the values alone do not tell (see the header). */
  types?: Record<string, ZetaType>;
};

/**
 * A row a DML statement inserted or updated, with its new values keyed by the table's columns; a deleted
 * row comes without values (the evaluator names a deleted row only by its primary key, and the
 * catalog's tables have none).
 */
export type ZetaChange = { operation: 'INSERT' | 'UPDATE' | 'DELETE'; row: ZetaRow };

export type ZetaSql = {
  /** Resolves when the statement is valid BigQuery SQL against the catalog; rejects with ZetaSQL's message. */
  analyze(sql: string, params?: Record<string, ZetaType>): Promise<void>;
  /** Runs a query on the reference evaluator; DDL and DML are not evaluated. */
  evaluate(sql: string, input?: EvaluateInput): Promise<ZetaRow[]>;
  /**
   * Runs an INSERT, UPDATE or DELETE on the reference evaluator (ZetaSQL evaluates no MERGE) over the
   * tables given, and answers the rows it changed (see `ZetaChange`); the tables given are left as they were.
   */
  evaluateModify(sql: string, input?: EvaluateInput): Promise<{ table: string; changes: ZetaChange[] }>;
  close(): void;
};

/** BigQuery's statements; ZetaSQL supports only queries unless told otherwise. */
const STATEMENT_KINDS: ResolvedNodeKind[] = [
  'RESOLVED_QUERY_STMT',
  'RESOLVED_INSERT_STMT',
  'RESOLVED_UPDATE_STMT',
  'RESOLVED_DELETE_STMT',
  'RESOLVED_MERGE_STMT',
  'RESOLVED_TRUNCATE_STMT',
  'RESOLVED_CREATE_TABLE_STMT',
  'RESOLVED_CREATE_TABLE_AS_SELECT_STMT',
  'RESOLVED_CREATE_VIEW_STMT',
];

/** ZetaSQL's internal type kind names (FLOAT64 is DOUBLE there). */
const TYPE_KINDS = {
  STRING: 'TYPE_STRING',
  INT64: 'TYPE_INT64',
  FLOAT64: 'TYPE_DOUBLE',
  BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  DATE: 'TYPE_DATE',
  JSON: 'TYPE_JSON',
} as const satisfies Record<ZetaScalarType, string>;

const DAY_MS = 86_400_000;

type Api = ZetaSqlLocalServiceClient;

/** ZetaSQL on the test run's server (`zetasql.global.ts`), with a catalog of every warehouse table of `sql/`. */
export async function connectWarehouseZetaSql(): Promise<ZetaSql> {
  const tables = await Promise.all(WAREHOUSE_TABLES.map(async (table) => parseTableDdl(await readTableDdl(table))));
  return connectZetaSql(inject('zetasqlPort'), tables);
}

export async function connectZetaSql(port: number, tables: readonly TableDdl[]): Promise<ZetaSql> {
  // The library's client is a singleton around one gRPC stub; keep our own reference to the stub.
  ZetaSQLClient.init(port);
  const api = ZetaSQLClient.API;
  const languageOptions = await bigQueryLanguageOptions(api);
  const catalog = bigQueryCatalog(tables, languageOptions);
  const columnsByTable = new Map(tables.map((t) => [t.table, t.columns]));

  const analyzerOptions = (params: Record<string, ZetaType>): AnalyzerOptionsProto => ({
    languageOptions,
    // BigQuery's default; ZetaSQL's own is America/Los_Angeles, which moves DATE(timestamp).
    defaultTimezone: 'UTC',
    errorMessageMode: 'ERROR_MESSAGE_MULTI_LINE_WITH_CARET',
    queryParameters: Object.entries(params).map(([name, type]) => ({ name, type: typeProto(type) })),
  });

  /** Every catalog table's content and the parameters, as both evaluations take them. */
  const evaluation = (input: EvaluateInput) => {
    const given = input.tables ?? {};
    for (const table of Object.keys(given)) {
      if (!columnsByTable.has(table)) throw new Error(`evaluate: ${table} is not a table of the catalog`);
    }
    // The evaluator refuses a query over a catalog table without content, so every table gets some.
    const tableContent: Record<string, TableContent> = {};
    for (const [table, columns] of columnsByTable) {
      const rows = given[table] ?? [];
      tableContent[table] = { tableData: { row: rows.map((row, i) => ({ cell: tableCells(`${table}[${i}]`, columns, row) })) } };
    }
    const values = input.params ?? {};
    const types: Record<string, ZetaType> = {};
    for (const [name, value] of Object.entries(values)) types[name] = input.types?.[name] ?? paramType(name, value);
    const params = Object.entries(values).map(([name, value]) => ({ name, value: toValue(`@${name}`, types[name]!, value) }));
    return { simpleCatalog: catalog, options: analyzerOptions(types), tableContent, params };
  };

  return {
    async analyze(sql, params = {}) {
      await call(api, 'analyze', { sqlStatement: sql, simpleCatalog: catalog, options: analyzerOptions(params) });
    },

    async evaluate(sql, input = {}) {
      const response = await call(api, 'evaluateQuery', { sql, ...evaluation(input) });
      const columns = response?.prepared?.columns ?? [];
      const names = columns.map((c, i) => {
        if (c.name === '') throw new Error(`evaluate: output column ${i + 1} has no name; give it an alias`);
        return c.name;
      });
      const duplicate = names.find((n, i) => names.indexOf(n) !== i);
      if (duplicate !== undefined) throw new Error(`evaluate: two output columns are named ${duplicate}; alias one`);

      return (response?.content?.tableData?.row ?? []).map((row) =>
        Object.fromEntries(columns.map((c, i) => [c.name, fromValue(c.type, row.cell[i])])),
      );
    },

    async evaluateModify(sql, input = {}) {
      const response = await call(api, 'evaluateModify', { sql, ...evaluation(input) });
      const table = response?.tableName ?? '';
      const columns = columnsByTable.get(table);
      if (!columns) throw new Error(`evaluateModify: the statement changed ${table || 'no table'}, which is not a table of the catalog`);
      const changes = (response?.content ?? []).map((change, r): ZetaChange => {
        const operation = MODIFY_OPERATIONS[change.operation];
        if (!operation) throw new Error(`evaluateModify: change ${r + 1} has no operation`);
        if (operation === 'DELETE') return { operation, row: {} };
        if (change.cell.length !== columns.length)
          throw new Error(`evaluateModify: change ${r + 1} has ${change.cell.length} cells for ${columns.length} columns`);
        return { operation, row: Object.fromEntries(columns.map((c, i) => [c.name, fromValue(outputType(c.type), change.cell[i])])) };
      });
      return { table, changes };
    },

    close() {
      api.close();
    },
  };
}

/** ZetaSQL's maximum released features in external mode, adjusted to BigQuery, with BigQuery's statements. */
async function bigQueryLanguageOptions(api: Api): Promise<LanguageOptionsProto> {
  const maximum = await call(api, 'getLanguageOptions', { maximumFeatures: true });
  return {
    productMode: 'PRODUCT_EXTERNAL',
    enabledLanguageFeatures: [
      // BigQuery's TIMESTAMPs have microseconds, not nanoseconds.
      ...(maximum?.enabledLanguageFeatures ?? []).filter((f) => f !== LanguageFeature.FEATURE_TIMESTAMP_NANOS),
      // Still "in development" in this ZetaSQL, but BigQuery has it: `@as_of - INTERVAL 1 DAY`.
      LanguageFeature.FEATURE_INTERVAL_TYPE,
    ],
    supportedStatementKinds: STATEMENT_KINDS,
  };
}

/** Every table as a root name (unqualified, as the jobs' default dataset resolves them), with the builtin functions. */
function bigQueryCatalog(tables: readonly TableDdl[], languageOptions: LanguageOptionsProto): SimpleCatalogProto {
  return {
    name: 'bigquery',
    table: tables.map((t) => ({
      name: t.table,
      column: t.columns.map((c) => ({ name: c.name, type: typeProto(c.type) })),
    })),
    builtinFunctionOptions: { languageOptions },
  };
}

/** The evaluator's row operations (the response's enum, as numbers: the client loads enums as such). */
const MODIFY_OPERATIONS: Partial<Record<number, ZetaChange['operation']>> = { 1: 'INSERT', 2: 'DELETE', 3: 'UPDATE' };

/** A column's type as the client answers types (its kinds as numbers), for `fromValue`. */
function outputType(type: ZetaType): TypeProto__Output {
  const element = elementType(type);
  if (element) return { typeKind: TypeKind.TYPE_ARRAY, arrayType: { elementType: outputType(element) } } as TypeProto__Output;
  return { typeKind: TypeKind[TYPE_KINDS[type as ZetaScalarType]] } as TypeProto__Output;
}

/** A unary method's request and response types, from the last (callback-only) overload of the stub. */
type Unary<M extends keyof Api> = Api[M] extends (
  request: infer Req,
  callback: (error: ServiceError | null, response?: infer Res) => void,
) => unknown
  ? [Req, Res]
  : never;

/** One unary call; a refusal becomes an Error carrying ZetaSQL's own message (with line, column and caret). */
function call<M extends 'analyze' | 'evaluateQuery' | 'evaluateModify' | 'getLanguageOptions'>(
  api: Api,
  method: M,
  request: Unary<M>[0],
): Promise<Unary<M>[1] | undefined> {
  return new Promise((resolve, reject) => {
    const callback = (error: ServiceError | null, response?: Unary<M>[1]) =>
      error ? reject(new Error(`ZetaSQL: ${error.details || error.message}`)) : resolve(response);
    (api[method] as (request: Unary<M>[0], cb: typeof callback) => unknown).call(api, request, callback);
  });
}

function elementType(type: ZetaType): ZetaScalarType | null {
  const match = /^ARRAY<(.+)>$/.exec(type);
  return match ? (match[1] as ZetaScalarType) : null;
}

function typeProto(type: ZetaType): TypeProto {
  const element = elementType(type);
  if (element) return { typeKind: 'TYPE_ARRAY', arrayType: { elementType: typeProto(element) } };
  return { typeKind: TYPE_KINDS[type as ZetaScalarType] };
}

function paramType(name: string, value: unknown): ZetaType {
  const scalar = (v: unknown): ZetaScalarType | null => {
    if (v instanceof Date) return 'TIMESTAMP';
    if (typeof v === 'string') return 'STRING';
    if (typeof v === 'boolean') return 'BOOL';
    if (typeof v === 'bigint') return 'INT64';
    if (typeof v === 'number') return Number.isInteger(v) ? 'INT64' : 'FLOAT64';
    return null;
  };
  const type = Array.isArray(value) ? scalar(value[0]) : scalar(value);
  if (type === null) throw new Error(`evaluate: cannot tell the type of @${name} from ${JSON.stringify(value)}; give it in types`);
  return Array.isArray(value) ? `ARRAY<${type}>` : type;
}

function tableCells(where: string, columns: TableDdl['columns'], row: ZetaRow): ValueProto[] {
  for (const key of Object.keys(row)) {
    if (!columns.some((c) => c.name === key)) throw new Error(`evaluate: ${where} has ${key}, which is not a column`);
  }
  return columns.map((c) => {
    const value = row[c.name] ?? null;
    // BigQuery stores a NULL array as an empty one.
    return toValue(`${where}.${c.name}`, c.type, value === null && elementType(c.type) ? [] : value);
  });
}

function toValue(where: string, type: ZetaType, value: unknown): ValueProto {
  if (value === null || value === undefined) return {};
  const wrong = () => new Error(`evaluate: ${where} should be a ${type}, got ${typeof value} ${JSON.stringify(value)}`);
  const element = elementType(type);
  if (element) {
    if (!Array.isArray(value)) throw wrong();
    return {
      arrayValue: {
        element: value.map((v, i) => {
          if (v === null || v === undefined) throw new Error(`evaluate: ${where}[${i}] is NULL; BigQuery arrays cannot hold NULL`);
          return toValue(`${where}[${i}]`, element, v);
        }),
      },
    };
  }
  switch (type as ZetaScalarType) {
    case 'STRING':
      if (typeof value !== 'string') throw wrong();
      return { stringValue: value };
    case 'INT64':
      if (!(typeof value === 'bigint' || Number.isSafeInteger(value))) throw wrong();
      return { int64Value: (value as number | bigint).toString() };
    case 'FLOAT64':
      if (typeof value !== 'number') throw wrong();
      return { doubleValue: value };
    case 'BOOL':
      if (typeof value !== 'boolean') throw wrong();
      return { boolValue: value };
    case 'TIMESTAMP':
      if (!(typeof value === 'string' || value instanceof Date)) throw wrong();
      return { timestampValue: timestamp(where, value) };
    case 'DATE': {
      const days = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) / DAY_MS : NaN;
      if (Number.isNaN(days)) throw wrong();
      return { dateValue: days };
    }
    case 'JSON':
      if (typeof value === 'string') {
        JSON.parse(value); // JSON text: refuse a malformed fixture here rather than in the evaluator
        return { jsonValue: value };
      }
      return { jsonValue: JSON.stringify(value) };
  }
}

/** RFC 3339 (any offset, up to microseconds) or a Date → protobuf Timestamp. */
function timestamp(where: string, value: string | Date): { seconds: number; nanos: number } {
  if (value instanceof Date) {
    const ms = value.getTime();
    return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
  }
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  const ms = match ? Date.parse(`${match[1]}T${match[2]}${match[4]!.toUpperCase()}`) : NaN;
  if (!match || Number.isNaN(ms)) throw new Error(`evaluate: ${where} should be an ISO 8601 timestamp with an offset, got ${value}`);
  return { seconds: ms / 1000, nanos: Number((match[3] ?? '').padEnd(9, '0')) };
}

/** An int64 arrives as a Long; anything that prints as digits will do. */
function int64(value: { toString(): string }): number | bigint {
  const big = BigInt(value.toString());
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function fromValue(type: TypeProto__Output | null, value: ValueProto__Output | undefined): unknown {
  // No field of the value's oneof set: a NULL of any type.
  if (!type || !value || value.value === undefined) return null;
  switch (type.typeKind) {
    case TypeKind.TYPE_STRING:
      return value.stringValue;
    case TypeKind.TYPE_INT64:
      return int64(value.int64Value!);
    case TypeKind.TYPE_DOUBLE:
      return value.doubleValue;
    case TypeKind.TYPE_BOOL:
      return value.boolValue;
    case TypeKind.TYPE_DATE:
      return new Date(value.dateValue! * DAY_MS).toISOString().slice(0, 10);
    case TypeKind.TYPE_TIMESTAMP: {
      const { seconds, nanos } = value.timestampValue!;
      const iso = new Date(Number(int64(seconds)) * 1000 + Math.floor(nanos / 1_000_000)).toISOString();
      const micros = Math.floor(nanos / 1000) % 1000;
      return micros === 0 ? iso : `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
    }
    case TypeKind.TYPE_JSON:
      return JSON.parse(value.jsonValue!);
    case TypeKind.TYPE_ARRAY:
      return value.arrayValue!.element.map((e) => fromValue(type.arrayType!.elementType, e));
    case TypeKind.TYPE_STRUCT: {
      const fields = type.structType!.field;
      return Object.fromEntries(
        fields.map((f, i) => {
          if (f.fieldName === '') throw new Error(`evaluate: STRUCT field ${i + 1} has no name; give it one`);
          return [f.fieldName, fromValue(f.fieldType, value.structValue!.field[i])];
        }),
      );
    }
    default: {
      const name = Object.entries(TypeKind).find(([, kind]) => kind === type.typeKind)?.[0] ?? String(type.typeKind);
      throw new Error(`evaluate: results of type ${name} are not supported; CAST them to STRING`);
    }
  }
}
