/**
 * The shopper's own Firestore documents the erasure job deletes once more after BigQuery: the
 * request deleted them, but a late ingest or a patterns run that read the warehouse before the
 * deletes can have written `preferences/{userId}` again since.
 */
export interface ShopperDocuments {
  /** Deletes `preferences/{userId}` with its subcollections (the applied-event markers); nothing there is fine. */
  deleteAll(userId: string): Promise<void>;
}
