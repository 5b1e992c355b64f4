import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export type FirestoreArgs = {
  project: string;
  /** Database location, e.g. `eur3`; it cannot change once the database exists. */
  location: string;
};

/**
 * Map fields of `preferences/{userId}` that are read whole, by document id, and never queried on:
 * the learned affinities, recent interests, reorder state, explicit statements and the batch `patterns`.
 */
const UNINDEXED_PREFERENCE_MAPS = ['products', 'brands', 'categories', 'brands_by_category', 'dietary', 'recent', 'reorder', 'explicit', 'patterns'] as const;

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
    const field = (resourceName: string, collection: string, fieldPath: string, extra: { ttl?: boolean } = {}) =>
      new gcp.firestore.Field(
        resourceName,
        {
          project,
          database: this.database.name,
          collection,
          field: fieldPath,
          // An empty index config exempts the field (and every subfield of a map) from single-field indexing.
          indexConfig: {},
          ...(extra.ttl ? { ttlConfig: {} } : {}),
        },
        { parent: this },
      );

    // `preferences/{userId}/applied/{shard}` holds the ids of applied events, `ids` (id → expiry), and `expire_at`,
    // the expiry of its newest id: Firestore deletes the document once that passes (usually within a day).
    // Neither is ever queried. `ids` holds up to some 20,000 ids: indexed, each would take two of the 40,000
    // index entries a document may have, and every write would re-index them.
    field('applied-expire-at-ttl', 'applied', 'expire_at', { ttl: true });
    field('applied-ids-unindexed', 'applied', 'ids');

    // Firestore indexes every field of every document by default, each map subfield twice (ascending and
    // descending). The preference maps hold hundreds of keys per shopper, each with several subfields, so
    // indexing them would multiply the cost of every learning write and, as a document grows, hit the limit
    // of 40,000 index entries per document, after which writes fail. They are read whole, never queried.
    for (const map of UNINDEXED_PREFERENCE_MAPS) field(`preferences-${map}-unindexed`, 'preferences', map);
    // Click-through counters, `click_through/{queryKey}/shards/{n}`: `positions` maps each result position to
    // its counts and is only ever summed after reading a query's shards.
    field('shards-positions-unindexed', 'shards', 'positions');

    this.registerOutputs({ database: this.database.name });
  }
}
