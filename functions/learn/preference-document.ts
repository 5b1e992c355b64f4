import type { Patterns } from '../patterns/patterns.ts';
import type { Preferences } from './preferences.ts';

/**
 * `preferences/{shopperDocumentId(userId)}` as its readers (search, users, operators) see it: what
 * real-time learning wrote and what the patterns job published, each null until its writer has run
 * (either may come first).
 */
export type PreferenceDocument = { learned: Preferences | null; patterns: Patterns | null };

/** Reads a shopper's preference document; null when there is none. */
export interface PreferenceDocumentReader {
  read(userId: string): Promise<PreferenceDocument | null>;
}

/** Reads what was learned about a shopper; null when nothing has been learned yet. */
export interface PreferenceReader {
  read(userId: string): Promise<Preferences | null>;
}
