/**
 * A parser for the small subset of BigQuery DDL that `sql/` table files use:
 *
 *   CREATE TABLE IF NOT EXISTS name (column type [NOT NULL] [OPTIONS (...)], ...)
 *   [PARTITION BY DATE(column) | column] [CLUSTER BY column, ...] [OPTIONS (...)] [;]
 *
 * Anything else throws, so that the DuckDB bridge and the contract test never guess.
 */

export const SCALAR_TYPES = ['STRING', 'INT64', 'FLOAT64', 'BOOL', 'TIMESTAMP', 'JSON'] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];
export type ColumnType = ScalarType | `ARRAY<${ScalarType}>`;

export type OptionValue = string | number | boolean;

export type ColumnDdl = {
  name: string;
  type: ColumnType;
  notNull: boolean;
  options: Record<string, OptionValue>;
};

export type TableDdl = {
  table: string;
  columns: ColumnDdl[];
  /** The partitioning column; `byDate` when partitioned by `DATE(column)`. */
  partitionBy: { column: string; byDate: boolean } | null;
  clusterBy: string[];
  options: Record<string, OptionValue>;
};

type Token =
  | { kind: 'word'; value: string; quoted: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'punct'; value: string };

const PUNCTUATION = new Set(['(', ')', ',', '<', '>', '=', ';', '.']);
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t' };

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i));
      const word = match?.[0] ?? ch;
      tokens.push({ kind: 'word', value: word, quoted: false });
      i += word.length;
    } else if (ch === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end === -1) throw new Error(`unterminated quoted identifier at offset ${i}`);
      tokens.push({ kind: 'word', value: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (/[0-9]/.test(ch)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(sql.slice(i));
      const text = match?.[0] ?? ch;
      tokens.push({ kind: 'number', value: Number(text) });
      i += text.length;
    } else if (ch === "'" || ch === '"') {
      const [value, next] = readString(sql, i, ch);
      tokens.push({ kind: 'string', value });
      i = next;
    } else if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: 'punct', value: ch });
      i += 1;
    } else {
      throw new Error(`unsupported character ${JSON.stringify(ch)} at offset ${i}`);
    }
  }
  return tokens;
}

function readString(sql: string, start: number, quote: string): [string, number] {
  if (sql.startsWith(quote.repeat(3), start)) throw new Error(`triple-quoted strings are not supported (offset ${start})`);
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql.charAt(i);
    if (ch === quote) return [value, i + 1];
    if (ch === '\\') {
      const escaped = ESCAPES[sql.charAt(i + 1)];
      if (escaped === undefined) throw new Error(`unsupported escape \\${sql.charAt(i + 1)} at offset ${i}`);
      value += escaped;
      i += 2;
    } else if (ch === '\n') {
      throw new Error(`line break inside a string at offset ${i}`);
    } else {
      value += ch;
      i += 1;
    }
  }
  throw new Error(`unterminated string at offset ${start}`);
}

/** Parses one CREATE TABLE statement; throws with the offending token on anything outside the subset. */
export function parseTableDdl(sql: string): TableDdl {
  const p = new Parser(tokenize(sql));
  p.keywords('CREATE', 'TABLE', 'IF', 'NOT', 'EXISTS');
  const table = p.identifier('table name');
  if (p.peekPunct('.')) throw new Error(`table names are unqualified (the job sets the default dataset), got ${table}.…`);

  p.punct('(');
  const columns: ColumnDdl[] = [];
  do columns.push(parseColumn(p));
  while (p.acceptPunct(','));
  p.punct(')');

  let partitionBy: TableDdl['partitionBy'] = null;
  if (p.acceptKeywords('PARTITION', 'BY')) {
    if (p.acceptKeywords('DATE')) {
      p.punct('(');
      partitionBy = { column: p.identifier('partition column'), byDate: true };
      p.punct(')');
    } else {
      partitionBy = { column: p.identifier('partition column'), byDate: false };
    }
  }
  const clusterBy: string[] = [];
  if (p.acceptKeywords('CLUSTER', 'BY')) {
    do clusterBy.push(p.identifier('clustering column'));
    while (p.acceptPunct(','));
  }
  const options = p.acceptKeywords('OPTIONS') ? parseOptions(p) : {};
  p.acceptPunct(';');
  p.end();

  return check({ table, columns, partitionBy, clusterBy, options });
}

function parseColumn(p: Parser): ColumnDdl {
  const name = p.identifier('column name');
  const type = parseType(p);
  const notNull = p.acceptKeywords('NOT', 'NULL');
  const options = p.acceptKeywords('OPTIONS') ? parseOptions(p) : {};
  return { name, type, notNull, options };
}

function parseType(p: Parser): ColumnType {
  if (p.acceptKeywords('ARRAY')) {
    p.punct('<');
    const element = scalarType(p.identifier('array element type'));
    p.punct('>');
    return `ARRAY<${element}>`;
  }
  return scalarType(p.identifier('column type'));
}

function scalarType(word: string): ScalarType {
  const type = SCALAR_TYPES.find((t) => t === word.toUpperCase());
  if (!type) throw new Error(`unsupported column type ${word}; supported: ${SCALAR_TYPES.join(', ')}, ARRAY<…>`);
  return type;
}

function parseOptions(p: Parser): Record<string, OptionValue> {
  const options: Record<string, OptionValue> = {};
  p.punct('(');
  if (p.acceptPunct(')')) return options;
  do {
    const key = p.identifier('option name').toLowerCase();
    if (key in options) throw new Error(`option ${key} is given twice`);
    p.punct('=');
    options[key] = p.literal();
  } while (p.acceptPunct(','));
  p.punct(')');
  return options;
}

/** What the grammar cannot catch: duplicate names, and partitioning or clustering on columns that are not there. */
function check(ddl: TableDdl): TableDdl {
  const byName = new Map<string, ColumnDdl>();
  for (const column of ddl.columns) {
    const key = column.name.toLowerCase();
    if (byName.has(key)) throw new Error(`${ddl.table}: column ${column.name} is declared twice`);
    byName.set(key, column);
  }
  if (ddl.partitionBy) {
    const column = byName.get(ddl.partitionBy.column.toLowerCase());
    if (!column) throw new Error(`${ddl.table}: partition column ${ddl.partitionBy.column} is not a column`);
    if (ddl.partitionBy.byDate && column.type !== 'TIMESTAMP') {
      throw new Error(`${ddl.table}: DATE(${column.name}) needs a TIMESTAMP column, got ${column.type}`);
    }
  }
  for (const name of ddl.clusterBy) {
    if (!byName.has(name.toLowerCase())) throw new Error(`${ddl.table}: clustering column ${name} is not a column`);
  }
  // BigQuery's own limit, checked here so that it fails in a test rather than in a deployment.
  if (ddl.clusterBy.length > 4) throw new Error(`${ddl.table}: at most 4 clustering columns`);
  for (const column of ddl.columns) {
    if (column.type.startsWith('ARRAY') && column.notNull) {
      throw new Error(`${ddl.table}: ${column.name}: BigQuery arrays cannot be NOT NULL (they are never NULL)`);
    }
  }
  return ddl;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  identifier(what: string): string {
    const token = this.tokens[this.index];
    if (token?.kind !== 'word' || token.value === '') throw this.unexpected(what);
    this.index += 1;
    return token.value;
  }

  literal(): OptionValue {
    const token = this.tokens[this.index];
    if (token?.kind === 'string' || token?.kind === 'number') {
      this.index += 1;
      return token.value;
    }
    if (token?.kind === 'word' && !token.quoted && /^(TRUE|FALSE)$/i.test(token.value)) {
      this.index += 1;
      return token.value.toUpperCase() === 'TRUE';
    }
    throw this.unexpected('a string, number, TRUE or FALSE');
  }

  keywords(...words: string[]): void {
    if (!this.acceptKeywords(...words)) throw this.unexpected(words.join(' '));
  }

  /** Consumes the keywords only if all of them follow, in order. */
  acceptKeywords(...words: string[]): boolean {
    const matches = words.every((word, offset) => {
      const token = this.tokens[this.index + offset];
      return token?.kind === 'word' && !token.quoted && token.value.toUpperCase() === word;
    });
    if (matches) this.index += words.length;
    return matches;
  }

  punct(value: string): void {
    if (!this.acceptPunct(value)) throw this.unexpected(`'${value}'`);
  }

  acceptPunct(value: string): boolean {
    if (!this.peekPunct(value)) return false;
    this.index += 1;
    return true;
  }

  peekPunct(value: string): boolean {
    const token = this.tokens[this.index];
    return token?.kind === 'punct' && token.value === value;
  }

  end(): void {
    if (this.index < this.tokens.length) throw this.unexpected('the end of the statement');
  }

  private unexpected(expected: string): Error {
    const token = this.tokens[this.index];
    const found = token === undefined ? 'the end of the file' : JSON.stringify(String(token.value));
    return new Error(`expected ${expected}, found ${found} (token ${this.index + 1})`);
  }
}
