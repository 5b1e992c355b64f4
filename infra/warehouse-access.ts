import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { readOnlyTables, type TableAccess } from '../functions/warehouse/table-access.ts';

export type WarehouseAccessArgs = {
  project: string;
  /** The dataset holding the tables of `sql/`. */
  dataset: gcp.bigquery.Dataset;
  /** The function's account. */
  member: pulumi.Input<string>;
  /** Prefixes the grants' resource names, e.g. `store-rejected`. */
  resourcePrefix: string;
  /** The tables: a table's policy can only be set once the table exists. */
  tables: pulumi.Resource[];
};

/**
 * The roles a function's account holds in BigQuery, derived from what the function declares it touches
 * (`needs.warehouse` of its descriptor): each on the narrowest resource it can be granted on.
 *
 * - `roles/bigquery.dataEditor` on each table it writes. DML (INSERT, MERGE, DELETE, TRUNCATE) needs
 *   `bigquery.tables.updateData` and `getData` on its tables
 *   (https://cloud.google.com/bigquery/docs/data-manipulation-language); a load into a staging table with WRITE_TRUNCATE
 *   needs `bigquery.tables.updateData`, `bigquery.tables.update` and, as the adapter reads the schema first,
 *   `bigquery.tables.get` (https://cloud.google.com/bigquery/docs/batch-loading-data#required_permissions);
 *   the editor role on a table holds all of these for that table alone
 *   (https://cloud.google.com/bigquery/docs/access-control#bigquery.dataEditor). The same page lists
 *   `bigquery.tables.create` for loads, which is a dataset's permission; it is needed only to create the
 *   table, with the default CREATE_IF_NEEDED (googleapis/python-bigquery-pandas#538, hashicorp/terraform-provider-google#9884),
 *   and the adapter loads with CREATE_NEVER into tables Pulumi made.
 * - `roles/bigquery.dataViewer` on each table it only reads: a query needs `bigquery.tables.getData` on every
 *   table it references, and the viewer role on a table lets a principal query that table without any access to
 *   the dataset (https://cloud.google.com/bigquery/docs/table-access-controls-intro).
 * - `roles/bigquery.jobUser` on the project when it runs jobs: a job belongs to a project, so `bigquery.jobs.create`
 *   can be granted nowhere narrower (https://cloud.google.com/bigquery/docs/access-control#bigquery.jobUser).
 *   Streaming inserts are not jobs and need none.
 * - `roles/bigquery.metadataViewer` on the dataset when it streams: `tabledata.insertAll` needs
 *   `bigquery.datasets.get` besides `bigquery.tables.updateData` and `bigquery.tables.get` on the table
 *   (https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery#required_permissions). This is the
 *   narrowest predefined role holding it: dataset and table metadata, no rows.
 */
export function grantWarehouseAccess(
  access: TableAccess,
  args: WarehouseAccessArgs,
  opts: pulumi.CustomResourceOptions,
): pulumi.Resource[] {
  const { project, member } = args;
  const datasetId = args.dataset.datasetId;
  const onTable = (verb: string, role: string) => (tableId: string) =>
    new gcp.bigquery.IamMember(
      `${args.resourcePrefix}-${verb}-${tableId.replaceAll('_', '-')}`,
      { project, datasetId, tableId, role, member },
      { ...opts, dependsOn: args.tables },
    );
  const grants: pulumi.Resource[] = [
    ...access.writes.map(onTable('edits', 'roles/bigquery.dataEditor')),
    ...readOnlyTables(access).map(onTable('reads', 'roles/bigquery.dataViewer')),
  ];
  if (access.via === 'jobs') {
    grants.push(
      new gcp.projects.IAMMember(`${args.resourcePrefix}-runs-bigquery-jobs`, { project, role: 'roles/bigquery.jobUser', member }, opts),
    );
  } else {
    grants.push(
      new gcp.bigquery.DatasetIamMember(
        `${args.resourcePrefix}-reads-dataset-metadata`,
        { project, datasetId, role: 'roles/bigquery.metadataViewer', member },
        opts,
      ),
    );
  }
  return grants;
}
