import type { Firestore } from '@google-cloud/firestore';
import {
  handSetVersion,
  HAND_SET_VERSION,
  INITIAL_ROLLOUT,
  Rollout,
  VersionName,
  WeightsVersion,
  WEIGHTS_COLLECTIONS,
  type WeightsStore,
} from '../../kernel/weights-versions.ts';

/**
 * `ranking_weights/{version}` and `ranking/rollout` (functions/kernel/weights-versions.ts). A version name is checked
 * before it becomes a document id, so no name addresses another document; a stored document that no longer parses
 * is an error, not a version.
 */
export function createFirestoreWeightsStore(firestore: Firestore): WeightsStore {
  const versions = firestore.collection(WEIGHTS_COLLECTIONS.versions);
  const rolloutRef = firestore.collection(WEIGHTS_COLLECTIONS.rollout).doc(WEIGHTS_COLLECTIONS.rolloutDocument);
  const parseRollout = (data: unknown) => (data === undefined ? INITIAL_ROLLOUT : Rollout.parse(data));

  return {
    async read(version) {
      if (version === HAND_SET_VERSION) return handSetVersion();
      if (!VersionName.safeParse(version).success) return null;
      const snapshot = await versions.doc(version).get();
      return snapshot.exists ? WeightsVersion.parse(snapshot.data()) : null;
    },
    async rollout() {
      return parseRollout((await rolloutRef.get()).data());
    },
    async saveChallenger(version, now) {
      const parsed = WeightsVersion.parse(version);
      if (parsed.version === HAND_SET_VERSION) throw new RangeError(`${HAND_SET_VERSION} is the name of the hand-set weights`);
      return firestore.runTransaction(async (tx) => {
        const current = parseRollout((await tx.get(rolloutRef)).data());
        // Rewriting the current version would change every shopper's ranking without a trial.
        if (current.current === parsed.version) throw new RangeError(`${parsed.version} is current; a fit is saved under a new version`);
        const rollout: Rollout = { ...current, challenger: parsed.version, updated_at: now.toISOString() };
        // A rerun of the same day's fit writes the same version again: set, not create.
        tx.set(versions.doc(parsed.version), parsed);
        tx.set(rolloutRef, rollout);
        return rollout;
      });
    },
    async promote(version, now) {
      return firestore.runTransaction(async (tx) => {
        const current = parseRollout((await tx.get(rolloutRef)).data());
        if (current.current === version) return { promoted: false, reason: 'already_current' } as const;
        if (version !== HAND_SET_VERSION) {
          if (!VersionName.safeParse(version).success || !(await tx.get(versions.doc(version))).exists)
            return { promoted: false, reason: 'unknown_version' } as const;
        }
        const rollout: Rollout = {
          current: version,
          challenger: current.challenger === version ? null : current.challenger,
          updated_at: now.toISOString(),
        };
        tx.set(rolloutRef, rollout);
        return { promoted: true, rollout } as const;
      });
    },
  };
}
