import type { Firestore } from '@google-cloud/firestore';
import { learnedPreferences } from './firestore-preference-store.ts';
import { shopperRefs } from './shopper-documents.ts';
import type { Patterns } from '../../patterns/patterns.ts';
import type { PreferenceDocumentReader } from '../../learn/preference-document.ts';

/**
 * `preferences/{shopperDocumentId(userId)}` in one read: the learned part as `users` reads it (`learnedPreferences`), and
 * the `patterns` field, which `users`' reader leaves aside and which a document the patterns job
 * created first holds alone.
 */
export function createFirestorePreferenceDocumentReader(firestore: Firestore): PreferenceDocumentReader {
  return {
    async read(userId) {
      const snapshot = await shopperRefs(firestore, userId).preferences.get();
      if (!snapshot.exists) return null;
      const data = snapshot.data();
      return { learned: learnedPreferences(data), patterns: storedPatterns(data?.patterns) };
    },
  };
}

/**
 * The published patterns, with every part a reader walks present: a document written before a part
 * existed reads as having none of it, rather than failing the search.
 */
export function storedPatterns(value: unknown): Patterns | null {
  if (!isRecord(value) || typeof value.as_of !== 'string') return null;
  const list = <T>(field: unknown): T[] => (Array.isArray(field) ? (field as T[]) : []);
  return {
    as_of: value.as_of,
    regular_items: list(value.regular_items),
    brands: list(value.brands),
    categories: list(value.categories),
    price: isRecord(value.price) ? ({ ...value.price, categories: list(value.price.categories) } as Patterns['price']) : null,
    schedule: isRecord(value.schedule) ? (value.schedule as Patterns['schedule']) : null,
    dietary: list(value.dietary),
    bought_together: list(value.bought_together),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
