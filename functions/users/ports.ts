import type { Preferences } from '../learn/preferences.ts';

/** Reads a shopper's preference document; null when nothing has been learned yet. */
export interface PreferenceReader {
  read(userId: string): Promise<Preferences | null>;
}
