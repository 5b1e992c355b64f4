import { WAREHOUSE_TABLES, type WarehouseTable } from '../../functions/warehouse/sql-files.ts';

/** The warehouse tables one statement of `sql/` reads (FROM, JOIN, MERGE … USING) and writes (INSERT, MERGE, UPDATE, DELETE, TRUNCATE). */
export type StatementTables = { reads: Set<WarehouseTable>; writes: Set<WarehouseTable> };

type Token = { word: string | null; punct: string | null };

/** Words and the punctuation that matters here; comments and string literals dropped, so that neither can name a table. */
function tokens(sql: string): Token[] {
  const code = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, ' ');
  return [...code.matchAll(/`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*)|([(),.])/g)].map((m) => ({
    word: m[1] ?? m[2] ?? null,
    punct: m[3] ?? null,
  }));
}

const upper = (token: Token | undefined) => token?.word?.toUpperCase() ?? null;

/**
 * The tables a statement of `sql/` touches. Throws when it names something that is neither a warehouse table
 * nor a `WITH` name, so that a construct this reading does not know fails loudly instead of hiding a table.
 */
export function statementTables(sql: string, file: string): StatementTables {
  const list = tokens(sql);
  const withNames = new Set<string>();
  list.forEach((token, i) => {
    // `WITH name AS (` and `, name AS (`: a common table expression, not a table.
    const before = list[i - 1];
    if (token.word && upper(list[i + 1]) === 'AS' && list[i + 2]?.punct === '(' && (upper(before) === 'WITH' || before?.punct === ',')) {
      withNames.add(token.word);
    }
  });

  const found = { reads: new Set<WarehouseTable>(), writes: new Set<WarehouseTable>() };
  const take = (into: 'reads' | 'writes', at: number, after: string) => {
    let i = at;
    // A qualified name (`dataset.table`) names the table by its last part.
    while (list[i]?.word && list[i + 1]?.punct === '.' && list[i + 2]?.word) i += 2;
    const name = list[i]?.word;
    if (!name) throw new Error(`sql/${file}: ${after} is followed by no name`);
    if (withNames.has(name)) return;
    if (!(WAREHOUSE_TABLES as readonly string[]).includes(name)) {
      throw new Error(`sql/${file}: ${after} ${name} names neither a table of sql/ nor a WITH name`);
    }
    found[into].add(name as WarehouseTable);
  };
  /** What FROM, JOIN or USING is followed by: a table, or a subquery, UNNEST or a column list, which are not. */
  const source = (at: number, after: string) => {
    const next = list[at];
    if (next?.punct === '(' || upper(next) === 'UNNEST') return;
    take('reads', at, after);
  };

  let extractDepth = -1;
  let depth = 0;
  for (let i = 0; i < list.length; i += 1) {
    const token = list[i];
    if (token?.punct === '(') depth += 1;
    if (token?.punct === ')') {
      depth -= 1;
      if (depth < extractDepth) extractDepth = -1;
    }
    const word = upper(token);
    const next = upper(list[i + 1]);
    switch (word) {
      case 'EXTRACT':
        // `EXTRACT(part FROM column)`: that FROM names a column.
        if (list[i + 1]?.punct === '(') extractDepth = depth + 1;
        break;
      case 'FROM':
        // `IS [NOT] DISTINCT FROM` compares values; DELETE FROM is handled with DELETE.
        if (extractDepth === -1 && upper(list[i - 1]) !== 'DISTINCT' && upper(list[i - 1]) !== 'DELETE') source(i + 1, 'FROM');
        break;
      case 'JOIN':
      case 'USING':
        source(i + 1, word);
        break;
      case 'INTO':
        take('writes', i + 1, 'INTO');
        break;
      case 'INSERT':
      case 'MERGE':
        // `INSERT (columns) VALUES …` inside MERGE inserts into the MERGE's table; INTO is read on its own.
        if (next !== 'INTO' && next !== 'VALUES' && next !== 'ROW' && list[i + 1]?.punct !== '(') take('writes', i + 1, word);
        break;
      case 'UPDATE':
        // `WHEN MATCHED THEN UPDATE SET …` updates the MERGE's table.
        if (next !== 'SET') take('writes', i + 1, 'UPDATE');
        break;
      case 'DELETE':
        // `WHEN MATCHED THEN DELETE` deletes from the MERGE's table.
        if (next === 'FROM') take('writes', i + 2, 'DELETE FROM');
        else if (list[i + 1]?.word && next !== 'WHEN') take('writes', i + 1, 'DELETE');
        break;
      case 'TRUNCATE':
        if (next === 'TABLE') take('writes', i + 2, 'TRUNCATE TABLE');
        break;
    }
    // `FROM a, b`: each table of a comma list (a comma before UNNEST or a subquery adds none).
    if (token?.punct === ',' && isInFromList(list, i)) source(i + 1, 'FROM … ,');
  }
  return found;
}

const CLAUSES = new Set(['SELECT', 'WHERE', 'GROUP', 'ORDER', 'BY', 'HAVING', 'QUALIFY', 'WINDOW', 'ON', 'SET', 'VALUES', 'WITH', 'LIMIT']);

/** Whether the comma at `at` continues a FROM list: the nearest clause keyword before it, within its parentheses, is FROM. */
function isInFromList(list: readonly Token[], at: number): boolean {
  let depth = 0;
  for (let i = at - 1; i >= 0; i -= 1) {
    const token = list[i];
    if (token?.punct === ')') depth += 1;
    if (token?.punct === '(') {
      if (depth === 0) return false;
      depth -= 1;
    }
    if (depth > 0) continue;
    const word = upper(token);
    if (word === 'FROM') return true;
    if (word !== null && CLAUSES.has(word)) return false;
  }
  return false;
}
