/**
 * What the search service imports: re-rank a shopper's results with what was learned about them,
 * decide their experiment arms, read their preferences within a time budget, and build the events
 * that attribute clicks and orders to the search. An entry file, as functions/index.ts is: it alone
 * in search/ builds the Firestore readers, from adapters/gcp.
 */
import type { Firestore } from '@google-cloud/firestore';
import { createFirestorePreferenceDocumentReader } from '../adapters/gcp/firestore-preference-document.ts';
import { createFirestorePrivacyStore } from '../adapters/gcp/firestore-privacy-store.ts';
import { createFirestoreReorderModelReader } from '../adapters/gcp/firestore-reorder-model.ts';
import { createFirestoreWeightsStore } from '../adapters/gcp/firestore-weights-store.ts';
import type { UserHasher } from '../privacy/user-hash.ts';
import { createSearchPreferenceReader, type SearchPreferenceReader, type SearchPreferenceReaderSettings } from './preference-reader.ts';
import { createRankingWeightsReader, type RankingWeightsReader, type RankingWeightsReaderSettings } from './weights-reader.ts';

export { personalize, prior, rankingPriorWeight, rankingStrength, rankingWeights, DEFAULT_STRENGTH } from './personalize.ts';
export type { Explanation, Personalized, PersonalizeOptions } from './personalize.ts';
export { DEFAULT_RANKING_WEIGHTS } from '../kernel/signal-weights.ts';
export type { RankingWeights } from '../kernel/signal-weights.ts';
export { SIGNALS, signalValues } from './signals.ts';
export { AFFINITY_SCALE, affinityStrength } from '../learn/affinity-strength.ts';
export type { SearchResult, Signal, SignalOptions, SignalValues } from './signals.ts';
export {
  Experiment,
  Experiments,
  DEFAULT_EXPERIMENT,
  PERSONALIZATION_EXPERIMENT,
  assignArm,
  assignArms,
  bucketOf,
  isControl,
  parseExperiments,
} from '../experiments/experiments.ts';
export { createSearchPreferenceReader, DEFAULT_BUDGET_MS, DEFAULT_MAX_ENTRIES, DEFAULT_TTL_MS } from './preference-reader.ts';
export type { PreferenceRead, SearchPreferenceReader, SearchPreferenceReaderSettings, UnreadReason } from './preference-reader.ts';
export { createFirestorePreferenceDocumentReader } from '../adapters/gcp/firestore-preference-document.ts';
export type { PersonalizationFlags, PrivacyReader, ReorderModelReader, ShopperPreferences } from './ports.ts';
export { createFirestoreReorderModelReader } from '../adapters/gcp/firestore-reorder-model.ts';
export { ReorderModel } from '../kernel/reorder-model.ts';
export type { PreferenceDocument, PreferenceDocumentReader } from '../learn/preference-document.ts';
export { newSearchId, searchContext, searchPerformedEvent, searchResultClickedEvent, SIGNAL_DECIMALS } from './events.ts';
export type { RankingEntry, ResultClickInput, SearchPerformedEvent, SearchPerformedInput, SearchResultClickedEvent } from './events.ts';
export { createSearchPersonalizer, DEFAULT_SWAPS, SwapSettings } from './personalize-search.ts';
export { createRankingWeightsReader, DEFAULT_WEIGHTS_BUDGET_MS, DEFAULT_WEIGHTS_TTL_MS } from './weights-reader.ts';
export type { RankingVersions, RankingWeightsReader, RankingWeightsReaderSettings } from './weights-reader.ts';
export { CHALLENGER_SHARE, HAND_SET_VERSION, WEIGHTS_ARMS, weightsExperimentId } from '../kernel/weights-versions.ts';
export type { WeightsVersion } from '../kernel/weights-versions.ts';
export type {
  NotPersonalizedReason,
  PersonalizeSearch,
  SearchOutcome,
  SearchPersonalizerSettings,
  SearchRequest,
} from './personalize-search.ts';
export { createUserHasher } from '../privacy/user-hash.ts';
export type { UserHasher } from '../privacy/user-hash.ts';
export { shopperDocumentId } from '../kernel/shopper-id.ts';

/**
 * The reader over Firestore: `preferences/{shopperDocumentId(userId)}` and the shopper's privacy settings (with an erased
 * shopper's kept in their tombstone, which is why the user hash key is needed), cached, within a budget; and the
 * reorder model in force (`learning_models/reorder`), shared by every shopper's read.
 */
export function createFirestoreSearchPreferenceReader(
  firestore: Firestore,
  settings: SearchPreferenceReaderSettings & { hashUser: UserHasher },
): SearchPreferenceReader {
  const { hashUser, ...readerSettings } = settings;
  return createSearchPreferenceReader(
    {
      documents: createFirestorePreferenceDocumentReader(firestore),
      privacy: createFirestorePrivacyStore(firestore, { hashUser }),
      reorderModel: createFirestoreReorderModelReader(firestore),
    },
    readerSettings,
  );
}

/** The ranking weights' versions over Firestore (`ranking/rollout`, `ranking_weights/{version}`), refreshed once a minute. */
export function createFirestoreRankingWeightsReader(
  firestore: Firestore,
  settings: RankingWeightsReaderSettings = {},
): RankingWeightsReader {
  return createRankingWeightsReader(createFirestoreWeightsStore(firestore), settings);
}
