import type { ReorderModel } from '../kernel/reorder-model.ts';
import type { Patterns } from './patterns.ts';

export type PublishedPatterns = { userId: string; patterns: Patterns };

/** Where patterns go for search to read: `preferences/{userId}.patterns`, replaced as a whole field. */
export interface PatternPublisher {
  /** Writes every entry, leaving the documents' other fields alone; throws when any write failed for good. */
  publish(entries: readonly PublishedPatterns[]): Promise<{ written: number }>;
}

/** Where a fitted reorder model goes for search to read (`learning_models/reorder`), replaced whole. */
export interface ReorderModelPublisher {
  publish(model: ReorderModel): Promise<void>;
}
