import type { DocumentReference, DocumentSnapshot, Firestore, Timestamp, Transaction } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../events/schema.ts';
import type { HistorySeeder, SeedOutcome } from '../../history/ports.ts';
import type { ApplyOutcome, PreferenceStore } from '../../ingest/ports.ts';
import { isAnonymousUserId } from '../../kernel/shopper-id.ts';
import type { Preferences } from '../../learn/preferences.ts';
import type { UserHasher } from '../../privacy/user-hash.ts';
import { APPLIED_IDS_FIELD, appliedIdOf, appliedIds, withoutAppliedIds } from './applied-ids.ts';
import { createLegacyMarkerCheck, legacyMarked, legacyShardOf, type LegacyMarkers } from './legacy-applied-markers.ts';
import { erasedBeforeOf, TOMBSTONES_COLLECTION } from './firestore-privacy-store.ts';
import { shopperRefs } from './shopper-documents.ts';

export { COLLECTIONS } from './shopper-documents.ts';

export type LearnFn = (current: Preferences | null, userId: string, events: readonly CollectedEvent[], now: Date) => Preferences;

export type PreferenceStoreOptions = {
  learn: LearnFn;
  /**
   * The keyed hash of the erasure tombstones (`USER_HASH_KEY`): learning reads the shopper's tombstone in its
   * transaction, so an erasure that lands between ingest's consent check and learning leaves no document behind.
   */
  hashUser: UserHasher;
  /** How long an applied event id is remembered; must outlast Pub/Sub's redelivery window (7 days). Default 8 days. */
  markerTtlDays?: number;
  /** Whether marks of the layout before this one may still be live; by default asked of Firestore (legacy-applied-markers.ts). */
  legacyMarkers?: LegacyMarkers;
};

/**
 * Learning as one Firestore transaction per message, and one write: read the preference document (which holds
 * the ids of the events learned, `applied_ids`) and the shopper's settings, learn from the events not seen
 * before, and write the document back with their ids. A redelivered or resent event finds its id and changes
 * nothing; deliveries that race are serialized by the transaction.
 *
 * Within an instance a shopper's messages do not race: they wait for each other, and those that queued up behind
 * one transaction are learned together in the next, one write for all (a backlog's, or a busy shopper's). They are
 * one list of events to the transaction, so a repeat among them is a repeat as it is within one message; if that
 * transaction fails, each is learned on its own, so one message's failure is never another's.
 */
export function createFirestorePreferenceStore(firestore: Firestore, options: PreferenceStoreOptions): PreferenceStore {
  const markerTtlMs = markerTtlOf(options);
  const legacy = options.legacyMarkers ?? createLegacyMarkerCheck(firestore);
  const learnMessages = async (userId: string, messages: readonly QueuedMessage[]): Promise<ApplyOutcome[]> => {
    // The latest clock of the queued: learning's decay and the marks' lifetime then cover every one of them.
    const now = new Date(Math.max(...messages.map((m) => m.now.getTime())));
    const { outcome, fresh, erased } = await learnOnce(
      firestore,
      options,
      legacy,
      userId,
      messages.flatMap((m) => m.events),
      now,
      {
        markedUntil: () => now.getTime() + markerTtlMs,
      },
    );
    let offset = 0;
    return messages.map((message, i) => {
      const own = (flags: boolean[]) => flags.slice(offset, offset + message.events.length).filter(Boolean).length;
      const learned = own(fresh);
      const dropped = own(erased);
      offset += message.events.length;
      // The one write, and what it forgot, are told with the first message: summed over the messages they are right.
      const first = i === 0;
      return {
        applied: outcome.applied > 0 ? learned : 0,
        alreadyApplied: message.events.length - learned - dropped,
        ...(dropped > 0 ? { erased: dropped } : {}),
        writes: first ? outcome.writes : 0,
        ...(first && outcome.forgottenIds ? { forgottenIds: outcome.forgottenIds } : {}),
      };
    });
  };
  const settle = (userId: string, messages: readonly QueuedMessage[]): Promise<Settled<ApplyOutcome>[]> =>
    learnMessages(userId, messages).then(
      (outcomes) => outcomes.map((value) => ({ ok: true, value })),
      (error: unknown) => messages.map(() => ({ ok: false, error })),
    );
  const learnQueued = async (userId: string, messages: readonly QueuedMessage[]): Promise<Settled<ApplyOutcome>[]> => {
    const together = await settle(userId, messages);
    if (messages.length === 1 || together.every((s) => s.ok)) return together;
    const alone: Settled<ApplyOutcome>[] = [];
    for (const message of messages) alone.push(...(await settle(userId, [message])));
    return alone;
  };
  const queue = createQueuePerKey<QueuedMessage, ApplyOutcome>();
  return {
    async apply(userId, events, now) {
      const settled = await queue(shopperRefs(firestore, userId).preferences.path, { events, now }, (queued) =>
        learnQueued(userId, queued),
      );
      if (!settled.ok) throw settled.error;
      return settled.value;
    },
  };
}

type QueuedMessage = { events: readonly CollectedEvent[]; now: Date };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs the work of one key one batch after another: what is asked while a batch runs waits, and goes in the next
 * batch together, in the order asked (at most what the instance takes at once). Keys run alongside each other.
 * `work` settles each item of its batch, in order.
 */
function createQueuePerKey<Item, Answer>(): (
  key: string,
  item: Item,
  work: (items: readonly Item[]) => Promise<Settled<Answer>[]>,
) => Promise<Settled<Answer>> {
  type Waiting = { item: Item; settle: (answer: Settled<Answer>) => void };
  const waiting = new Map<string, Waiting[]>();
  const running = new Set<string>();
  const runNext = (key: string, work: (items: readonly Item[]) => Promise<Settled<Answer>[]>): void => {
    const batch = waiting.get(key) ?? [];
    waiting.delete(key);
    if (batch.length === 0) return void running.delete(key);
    running.add(key);
    void work(batch.map((w) => w.item))
      .catch((error: unknown) => batch.map((): Settled<Answer> => ({ ok: false, error })))
      .then((answers) => batch.forEach((w, i) => w.settle(answers[i] ?? { ok: false, error: new Error('no answer') })))
      .finally(() => runNext(key, work));
  };
  return (key, item, work) =>
    new Promise((settle) => {
      const queued = waiting.get(key);
      if (queued) queued.push({ item, settle });
      else waiting.set(key, [{ item, settle }]);
      if (!running.has(key)) runNext(key, work);
    });
}

export type HistorySeederOptions = PreferenceStoreOptions & {
  /** The oldest event collect accepts, ms (`MAX_EVENT_AGE_DAYS`): until then an imported event may still arrive live. */
  liveWindowMs: number;
  /** How long a shopper stays marked as seeded by an import, ms: the window in which the import can be resumed. */
  resumeWindowMs: number;
  /** Shoppers whose writes are committed at once. Default 64. */
  concurrency?: number;
};

/** Firestore takes at most 500 documents per batched read; 300 keeps each answer small. */
const GET_ALL_CHUNK = 300;

/**
 * Seeding from history through the same learning as real time, so the document is what `learn` makes of the same
 * events whichever way they came. Two kinds of marks make it exact:
 * - each imported event is marked applied for as long as it could still arrive live (collect takes events up to
 *   `liveWindowMs` old) plus the marker's own time, so one sent live later finds its mark and is not learned again;
 *   one already learned live is found among the marks and skipped. An older event can no longer arrive live, and
 *   its mark is not kept;
 * - the shopper is marked as seeded by the import (`import:<id>`, for `resumeWindowMs`), with the same write, so a
 *   resumed import never learns the shopper twice, whatever became of the events' own marks.
 * Both kinds are applied ids in the preference document, so seeding a shopper writes that one document (and
 * touches their privacy settings, below). A slice of shoppers is read in a few batched reads, and each shopper's
 * writes go in one batch that holds only if nothing changed since the read (preconditions on their update
 * times, or on their absence): a shopper whom live learning, a privacy change or an erasure touched meanwhile is
 * learned again in the transaction live learning uses. Batches need none of a transaction's locks or round trips.
 * Not a BulkWriter: it commits each document on its own, and a shopper's document and settings must hold
 * together or not at all; the slice's batches go in parallel instead.
 */
export function createFirestoreHistorySeeder(firestore: Firestore, options: HistorySeederOptions): HistorySeeder {
  const markerTtlMs = markerTtlOf(options);
  const legacy = options.legacyMarkers ?? createLegacyMarkerCheck(firestore);
  const markingFor = (importId: string, now: Date): Marking => ({
    markedUntil: (event) => Date.parse(event.event_time) + options.liveWindowMs + markerTtlMs,
    seededBy: { id: `${SEEDED_MARK}${importId}`, until: now.getTime() + options.resumeWindowMs },
  });
  return {
    async seed(shoppers, now, importId): Promise<SeedOutcome[]> {
      const marking = markingFor(importId, now);
      const withLegacy = await legacy.mayExist(now);
      const reads = shoppers.map((shopper) => readPlan(firestore, options.hashUser, shopper, withLegacy));
      const refs = reads.flatMap((r) => r.refs);
      const snapshots: DocumentSnapshot[] = [];
      for (let i = 0; i < refs.length; i += GET_ALL_CHUNK) snapshots.push(...(await firestore.getAll(...refs.slice(i, i + GET_ALL_CHUNK))));
      const outcomes = new Array<SeedOutcome>(shoppers.length);
      let offset = 0;
      const planned = reads.map((read, i) => {
        const own = snapshots.slice(offset, offset + read.refs.length);
        offset += read.refs.length;
        return { i, read, plan: plan(options, shoppers[i] as SeedShopper, now, marking, read, own) };
      });
      await pool(planned, options.concurrency ?? 64, async ({ i, read, plan: p }) => {
        if (p.write === null) {
          outcomes[i] = p.outcome;
          return;
        }
        const batch = firestore.batch();
        if (p.write.updateTime) batch.update(read.preferences, p.write.data, { lastUpdateTime: p.write.updateTime });
        else batch.create(read.preferences, p.write.data);
        // The settings decided whether to learn: they must be what was read.
        const privacy = p.privacy;
        if (privacy.updateTime)
          batch.update(read.privacy, { updated_at: privacy.updatedAt ?? null }, { lastUpdateTime: privacy.updateTime });
        else batch.delete(read.privacy, { exists: false });
        // So must the tombstones: an erasure requested meanwhile sends the shopper to the transaction, which drops its events.
        for (const [t, tombstone] of read.tombstones.entries()) {
          const read = p.tombstones[t];
          if (read) batch.update(tombstone, { erased_before: read.erasedBefore }, { lastUpdateTime: read.updateTime });
          else batch.delete(tombstone, { exists: false });
        }
        try {
          await batch.commit();
          outcomes[i] = p.outcome;
        } catch (error) {
          if (!changedSinceRead(error)) throw error;
          const { userId, events } = shoppers[i] as SeedShopper;
          outcomes[i] = (await learnOnce(firestore, options, legacy, userId, events, now, marking)).outcome;
        }
      });
      return outcomes;
    },
  };
}

type SeedShopper = { userId: string; events: readonly CollectedEvent[] };

/** A write's precondition failed (FAILED_PRECONDITION), or a document created meanwhile exists (ALREADY_EXISTS). */
function changedSinceRead(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 9 || code === 6;
}

/** The prefix of the mark an import leaves on a shopper it seeded; never an event id, which is a UUID. */
export const SEEDED_MARK = 'import:';

function markerTtlOf(options: PreferenceStoreOptions): number {
  return (options.markerTtlDays ?? 8) * 86_400_000;
}

/** How one learning call marks what it learned: each event until when, and the call itself when it is an import's seeding. */
type Marking = { markedUntil: (event: CollectedEvent) => number; seededBy?: { id: string; until: number } };

/**
 * What one learning call reads: the document, the shopper's settings, the erasure tombstones of the shopper (and of
 * the visitor whose events these were), and the earlier layout's shards of its events.
 */
type ReadPlan = {
  preferences: DocumentReference;
  privacy: DocumentReference;
  tombstones: DocumentReference[];
  /** The shard of each event id, while marks of the earlier layout may be live; else null. */
  legacyShardOf: Map<string, string> | null;
  legacyShardIds: string[];
  /** In read order: the document, the settings, the tombstones, then the shards. */
  refs: DocumentReference[];
};

function readPlan(firestore: Firestore, hashUser: UserHasher, shopper: SeedShopper & { sentAs?: string }, withLegacy: boolean): ReadPlan {
  const { userId, events } = shopper;
  // The ids are the shopper's own (in their document): an event_id is looked up among this shopper's applied
  // events only, so a mark's identity is (user_id, event_id) and another's same id is new.
  const { preferences, applied: legacyShards, privacy } = shopperRefs(firestore, userId);
  const shardOf = withLegacy ? new Map(events.map((e) => [e.event_id, legacyShardOf(e.event_id)])) : null;
  const legacyShardIds = shardOf ? [...new Set(shardOf.values())] : [];
  const erasable = shopper.sentAs === undefined || shopper.sentAs === userId ? [userId] : [userId, shopper.sentAs];
  const tombstones = erasable.map((id) => firestore.collection(TOMBSTONES_COLLECTION).doc(hashUser(id)));
  return {
    preferences,
    privacy,
    tombstones,
    legacyShardOf: shardOf,
    legacyShardIds,
    refs: [preferences, privacy, ...tombstones, ...legacyShardIds.map((id) => legacyShards.doc(id))],
  };
}

type Plan = {
  outcome: SeedOutcome & { forgottenIds?: number; erased?: number };
  /** Per event asked about, in order: whether this call learned (or, learning off, marked) it. */
  fresh: boolean[];
  /** The preference document as it is to be, and the update time it was read at (none: it did not exist). */
  write: { data: Record<string, unknown>; updateTime: Timestamp | undefined } | null;
  privacy: { updateTime: Timestamp | undefined; updatedAt: unknown };
  /** Each tombstone as read (null: there was none). */
  tombstones: ({ updateTime: Timestamp; erasedBefore: unknown } | null)[];
  /** Per event asked about: whether an erasure requested after it was received dropped it. */
  erased: boolean[];
};

/**
 * What one learning call does, from what it read: the events without a mark are learned and marked, and the
 * document is written back with them. The same whether a transaction or a batch with preconditions applies it.
 */
function plan(
  options: PreferenceStoreOptions,
  shopper: SeedShopper,
  now: Date,
  marking: Marking,
  read: ReadPlan,
  snapshots: readonly (DocumentSnapshot | undefined)[],
): Plan {
  const { userId } = shopper;
  const [current, settings] = snapshots;
  const tombstoneSnapshots = snapshots.slice(2, 2 + read.tombstones.length);
  const legacySnapshots = snapshots.slice(2 + read.tombstones.length);
  const privacy = { updateTime: settings?.exists ? settings.updateTime : undefined, updatedAt: settings?.get('updated_at') as unknown };
  const tombstones = tombstoneSnapshots.map((t) =>
    t?.exists && t.updateTime ? { updateTime: t.updateTime, erasedBefore: t.get('erased_before') as unknown } : null,
  );
  // An erasure requested since ingest checked consent: what was received before it is dropped, neither learned nor
  // marked, as consent drops it on any later delivery (ARCHITECTURE invariant 4).
  const erasedBeforeMs = Math.max(...tombstoneSnapshots.map((t) => erasedBeforeOf(t)?.getTime() ?? Number.NEGATIVE_INFINITY));
  const kept = shopper.events.map((event) => Date.parse(event.received_at) >= erasedBeforeMs);
  const events = shopper.events.filter((_, i) => kept[i]);
  const erasedEvents = kept.map((k) => !k);
  const erased = shopper.events.length - events.length;
  const stored = current?.exists ? (current.data() ?? null) : null;
  const applied = appliedIds(stored?.[APPLIED_IDS_FIELD]);
  const withErased = (outcome: Plan['outcome']): Plan['outcome'] => (erased > 0 ? { ...outcome, erased } : outcome);
  const nothing = (seededBefore: boolean): Plan => ({
    outcome: withErased({ applied: 0, alreadyApplied: seededBefore ? 0 : events.length, seededBefore, writes: 0 }),
    fresh: shopper.events.map(() => false),
    write: null,
    privacy,
    tombstones,
    erased: erasedEvents,
  });
  const { seededBy } = marking;
  const seededId = seededBy ? appliedIdOf(seededBy.id) : null;
  if (seededId && applied.has(seededId)) return nothing(true);

  const legacyMarkedAlready = (eventId: string) =>
    read.legacyShardOf !== null &&
    legacyMarked(legacySnapshots[read.legacyShardIds.indexOf(read.legacyShardOf.get(eventId) ?? '')], eventId);
  const fresh: CollectedEvent[] = [];
  const isFresh = shopper.events.map((event, i) => {
    if (!kept[i]) return false;
    const id = appliedIdOf(event.event_id);
    if (applied.has(id) || legacyMarkedAlready(event.event_id)) return false;
    // Marked even when the mark is not kept: a repeat within this call is then a repeat too.
    applied.add(id, marking.markedUntil(event));
    fresh.push(event);
    return true;
  });
  if (seededBy && seededId) applied.add(seededId, seededBy.until);
  // A seeding's own mark is no reason to write for a shopper whose events an erasure dropped: it would leave a document.
  if (fresh.length === 0 && (!seededBy || erased > 0)) return nothing(false);

  // Consent was checked before this message was stored, but learning may have been switched off since:
  // reading the flag with the document means what the switch deleted is never learned again.
  // The events are still marked applied, so turning learning back on never learns them late.
  const learning = settings?.get('learn_preferences') !== false;
  const { value, forgotten } = applied.toStored(now.getTime());
  // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
  const learned = learning && fresh.length > 0 ? options.learn(learnedPreferences(stored), userId, fresh, now) : {};
  return {
    outcome: withErased({
      applied: learning ? fresh.length : 0,
      alreadyApplied: events.length - fresh.length,
      seededBefore: false,
      writes: 1,
      ...(forgotten > 0 ? { forgottenIds: forgotten } : {}),
    }),
    fresh: isFresh,
    write: { data: { ...stored, ...learned, [APPLIED_IDS_FIELD]: value }, updateTime: current?.exists ? current.updateTime : undefined },
    privacy,
    tombstones,
    erased: erasedEvents,
  };
}

/** The one transaction of learning: `plan` over what the transaction read, written together. */
async function learnOnce(
  firestore: Firestore,
  options: PreferenceStoreOptions,
  legacy: LegacyMarkers,
  userId: string,
  events: readonly CollectedEvent[],
  now: Date,
  marking: Marking,
): Promise<Pick<Plan, 'outcome' | 'fresh' | 'erased'>> {
  const withLegacy = await legacy.mayExist(now);
  return firestore.runTransaction(async (tx) => {
    // A visitor linked to a shopper since these events were collected learns into the shopper's document, behind
    // the shopper's applied ids (which took the visitor's in when they were linked): read in this transaction, so a
    // link made meanwhile never leaves a visitor's document behind that nothing would merge.
    const shopper = isAnonymousUserId(userId) ? await linkedShopper(tx, shopperRefs(firestore, userId).link) : null;
    const learner = {
      userId: shopper ?? userId,
      events: shopper === null ? events : events.map((event) => ({ ...event, user_id: shopper })),
      sentAs: userId,
    };
    const read = readPlan(firestore, options.hashUser, learner, withLegacy);
    const snapshots = await tx.getAll(...read.refs);
    const { outcome, fresh, write, erased } = plan(options, learner, now, marking, read, snapshots);
    if (write) tx.set(read.preferences, write.data);
    return { outcome, fresh, erased };
  });
}

/** The shopper a visitor was linked to, read in the learning transaction; null for a visitor nobody linked. */
async function linkedShopper(tx: Transaction, link: DocumentReference): Promise<string | null> {
  const userId = (await tx.get(link)).get('user_id') as unknown;
  return typeof userId === 'string' ? userId : null;
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * The learned part of a stored preference document, or null when learning has not run yet: a
 * document the batch job created first holds only its own fields, one whose shopper switched learning off
 * only the applied ids.
 */
export function learnedPreferences(data: Record<string, unknown> | null | undefined): Preferences | null {
  return data?.schema_version === undefined ? null : (withoutAppliedIds(data) as Preferences);
}
