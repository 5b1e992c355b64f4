import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { APPLIED_IDS_FIELD } from '../functions/adapters/gcp/applied-ids.ts';

export type FirestoreArgs = {
  project: string;
  /** Database location, e.g. `eur3`; it cannot change once the database exists. */
  location: string;
};

/**
 * Map fields of `preferences/{userId}` that are read whole, by document id, and never queried on:
 * the learned affinities, recent interests, reorder state, explicit statements, the batch `patterns` and the
 * ids of the events learned (`applied_ids`, up to 320 KB of Bytes, far past what an index entry takes).
 */
const UNINDEXED_PREFERENCE_MAPS = [
  'products',
  'brands',
  'categories',
  'brands_by_category',
  'dietary',
  'recent',
  'reorder',
  'explicit',
  'patterns',
  APPLIED_IDS_FIELD,
] as const;

/**
 * The `(default)` Firestore database the functions write to, the TTL that deletes idempotency
 * markers, and the fields kept out of the automatic indexes.
 */
export class FirestoreDatabase extends pulumi.ComponentResource {
  readonly database: gcp.firestore.Database;

  constructor(name: string, args: FirestoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super('grocery:storage:FirestoreDatabase', name, {}, opts);
    const { project } = args;

    this.database = new gcp.firestore.Database(
      'firestore-database',
      {
        project,
        name: '(default)',
        type: 'FIRESTORE_NATIVE',
        locationId: args.location,
        // Nobody deletes the shoppers' preferences by accident, and destroying the stack leaves them be.
        deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
        deletionPolicy: 'ABANDON',
      },
      { parent: this },
    );
    type Extra = { ttl?: boolean; indexConfig?: gcp.types.input.firestore.FieldIndexConfig };
    const field = (resourceName: string, collection: string, fieldPath: string, extra: Extra = {}) =>
      new gcp.firestore.Field(
        resourceName,
        {
          project,
          database: this.database.name,
          collection,
          field: fieldPath,
          // An empty index config exempts the field (and every subfield of a map) from single-field indexing.
          indexConfig: extra.indexConfig ?? {},
          ...(extra.ttl ? { ttlConfig: {} } : {}),
        },
        { parent: this },
      );

    // The layout before `applied_ids`: `preferences/{userId}/applied/{shard}` holds the ids of applied events, `ids`
    // (id → expiry), and `expire_at`, the expiry of its newest id: Firestore deletes the document once that passes
    // (usually within a day). No longer written; learning reads a message's shards while any is live, which it
    // asks with one collection-group query on `expire_at` (functions/adapters/gcp/legacy-applied-markers.ts): the
    // one index here. `ids` held up to some 20,000 ids: indexed, each would take two of the 40,000 index entries a
    // document may have.
    field('applied-expire-at-ttl', 'applied', 'expire_at', {
      ttl: true,
      indexConfig: { indexes: [{ queryScope: 'COLLECTION_GROUP', order: 'ASCENDING' }] },
    });
    field('applied-ids-unindexed', 'applied', 'ids');

    // Firestore indexes every field of every document by default, each map subfield twice (ascending and
    // descending). The preference maps hold hundreds of keys per shopper, each with several subfields, so
    // indexing them would multiply the cost of every learning write and, as a document grows, hit the limit
    // of 40,000 index entries per document, after which writes fail. They are read whole, never queried.
    for (const map of UNINDEXED_PREFERENCE_MAPS) field(`preferences-${map}-unindexed`, 'preferences', map);
    // The click-through counters the earlier layout wrote, `click_through/{queryKey}/shards/{n}`, are no longer written
    // (docs/learning.md#click-through); the exemption stays while they do, since dropping it would index them all.
    field('shards-positions-unindexed', 'shards', 'positions');

    this.registerOutputs({ database: this.database.name });
  }
}
