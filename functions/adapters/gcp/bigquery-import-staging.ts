import { IMPORT_STAGING_TABLES, type ImportStaging, type StagedSlice } from '../../history/ports.ts';
import { parseTableDdl } from '../../warehouse/ddl.ts';
import type { SqlRow, SqlWarehouse } from '../../warehouse/ports.ts';
import { readTableDdl } from '../../warehouse/sql-files.ts';
import { BigQueryJobError, loadRow } from './bigquery-sql.ts';
import type { CloudStorage } from './cloud-storage.ts';

/** Where in the import bucket an import's staged rows are written, one NDJSON object per table and slice. */
export const STAGING_PREFIX = 'import-staging/';

/** The part of the BigQuery client that starts a load job (`BigQuery.createJob`) and waits for it. */
export interface LoadJobClient {
  createJob(options: {
    configuration: { load: Record<string, unknown> };
    jobPrefix: string;
    location?: string;
  }): Promise<[{ promise(): Promise<unknown>; metadata?: { status?: unknown } }, ...unknown[]]>;
}

export type BigQueryImportStagingOptions = {
  storage: Pick<CloudStorage, 'write' | 'deleteAll'>;
  bucket: string;
  bigQuery: LoadJobClient;
  projectId: string;
  dataset: string;
  location?: string;
  /** TRUNCATE TABLE for a staging table nothing is loaded into (`replaceRows` with no rows). */
  warehouse: Pick<SqlWarehouse, 'replaceRows'>;
};

type Kind = keyof typeof IMPORT_STAGING_TABLES;

/**
 * A history import's staging on BigQuery, never by streaming inserts: each slice is written to the import bucket as
 * NDJSON, one object per table, and `finish` loads every object of a table with one load job (`WRITE_TRUNCATE`),
 * which BigQuery reads from Cloud Storage itself. `clear` deletes the objects and empties the tables.
 */
export function createBigQueryImportStaging(options: BigQueryImportStagingOptions): ImportStaging {
  const written: Record<Kind, number> = { events: 0, orderItems: 0, rejected: 0 };
  const jsonColumns = new Map<Kind, Set<string>>();
  const columnsOf = async (kind: Kind) => {
    let columns = jsonColumns.get(kind);
    if (!columns) {
      const ddl = parseTableDdl(await readTableDdl(IMPORT_STAGING_TABLES[kind]));
      columns = new Set(ddl.columns.filter((c) => c.type === 'JSON').map((c) => c.name));
      jsonColumns.set(kind, columns);
    }
    return columns;
  };
  const objectName = (kind: Kind, n: number) => `${STAGING_PREFIX}${kind}-${String(n).padStart(6, '0')}.ndjson`;

  return {
    async clear() {
      await options.storage.deleteAll(options.bucket, STAGING_PREFIX);
      for (const kind of Object.keys(written) as Kind[]) {
        written[kind] = 0;
        await options.warehouse.replaceRows(IMPORT_STAGING_TABLES[kind], [], 'import');
      }
    },

    async append(slice: StagedSlice) {
      const rows: Record<Kind, readonly SqlRow[]> = { events: slice.events, orderItems: slice.orderItems, rejected: slice.rejected };
      for (const kind of Object.keys(rows) as Kind[]) {
        if (rows[kind].length === 0) continue;
        const columns = await columnsOf(kind);
        const text = rows[kind].map((row, i) => JSON.stringify(loadRow(row, i, columns))).join('\n') + '\n';
        written[kind] += 1;
        await options.storage.write(options.bucket, objectName(kind, written[kind]), text);
      }
    },

    async finish() {
      for (const kind of Object.keys(written) as Kind[]) {
        const table = IMPORT_STAGING_TABLES[kind];
        if (written[kind] === 0) {
          await options.warehouse.replaceRows(table, [], 'import');
          continue;
        }
        const subject = `load into ${options.dataset}.${table}`;
        let job: Awaited<ReturnType<LoadJobClient['createJob']>>[0] | undefined;
        try {
          [job] = await options.bigQuery.createJob({
            configuration: {
              load: {
                sourceUris: [`gs://${options.bucket}/${STAGING_PREFIX}${kind}-*.ndjson`],
                destinationTable: { projectId: options.projectId, datasetId: options.dataset, tableId: table },
                sourceFormat: 'NEWLINE_DELIMITED_JSON',
                writeDisposition: 'WRITE_TRUNCATE',
                createDisposition: 'CREATE_NEVER',
              },
            },
            jobPrefix: `import_${table}_`,
            ...(options.location ? { location: options.location } : {}),
          });
          await job.promise();
        } catch (error) {
          throw BigQueryJobError.of(subject, error, job?.metadata?.status);
        }
      }
    },
  };
}
