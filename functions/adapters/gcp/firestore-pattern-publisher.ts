import type { Firestore } from '@google-cloud/firestore';
import type { PatternPublisher } from '../../patterns/ports.ts';
import { shopperRefs } from './shopper-documents.ts';

/**
 * Publishes patterns with a BulkWriter (batched, parallel, throttled to Firestore's ramp-up rule,
 * transient failures retried by the client). `mergeFields: ['patterns']` replaces that one field
 * whole — no stale brand survives inside it — and leaves what real-time learning owns alone.
 */
export function createFirestorePatternPublisher(firestore: Firestore): PatternPublisher {
  return {
    async publish(entries) {
      if (entries.length === 0) return { written: 0 };
      const writer = firestore.bulkWriter();
      const failures: string[] = [];
      let written = 0;
      for (const { userId, patterns } of entries) {
        const ref = shopperRefs(firestore, userId).preferences;
        writer.set(ref, { patterns }, { mergeFields: ['patterns'] }).then(
          () => (written += 1),
          (error: unknown) => failures.push(error instanceof Error ? error.message : String(error)),
        );
      }
      await writer.close();
      if (failures.length > 0) throw new Error(`${failures.length} of ${entries.length} pattern writes failed, e.g. ${failures[0]}`);
      return { written };
    },
  };
}
