import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { tableSpecs, type TableSpec } from './bigquery-tables.ts';

export type WarehouseArgs = {
  project: string;
  /** Dataset id. */
  dataset: string;
  /** Dataset location, e.g. `EU`. */
  location: string;
  /** The `sql/` folder: every `CREATE TABLE` file in it becomes a table. */
  sqlDir: string;
};

/**
 * The BigQuery dataset and its tables, built from the same `sql/` files the local warehouse and
 * `createTables` run, so that production and the tests agree on every column.
 */
export class Warehouse extends pulumi.ComponentResource {
  readonly dataset: gcp.bigquery.Dataset;
  readonly tables: gcp.bigquery.Table[];

  constructor(name: string, args: WarehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:storage:Warehouse', name, {}, opts);

    const specs = readTables(args.sqlDir, this);

    this.dataset = new gcp.bigquery.Dataset(
      'dataset',
      {
        project: args.project,
        datasetId: args.dataset,
        location: args.location,
        description:
          "Shopper events, ordered items, rejected input, and the batch jobs' patterns and runs, of the grocery search learning loop.",
        // Destroying the stack must never take the event history with it.
        deleteContentsOnDestroy: false,
      },
      { parent: this },
    );

    this.tables = specs.map(
      (spec) =>
        new gcp.bigquery.Table(
          spec.tableId,
          {
            project: args.project,
            datasetId: this.dataset.datasetId,
            tableId: spec.tableId,
            description: spec.description,
            schema: JSON.stringify(spec.schema),
            timePartitioning: spec.timePartitioning,
            requirePartitionFilter: spec.requirePartitionFilter,
            clusterings: spec.clusterings.length > 0 ? spec.clusterings : undefined,
            // A change that would replace a table (a column's type or mode) fails instead of dropping its rows.
            deletionProtection: true,
          },
          { parent: this },
        ),
    );

    this.registerOutputs({ dataset: this.dataset.datasetId, tables: this.tables.map((t) => t.tableId) });
  }
}

/** A DDL file the mapping does not understand stops the program before anything is planned. */
function readTables(sqlDir: string, resource: pulumi.Resource): TableSpec[] {
  try {
    return tableSpecs(sqlDir);
  } catch (error) {
    throw new pulumi.ResourceError(error instanceof Error ? error.message : String(error), resource);
  }
}
