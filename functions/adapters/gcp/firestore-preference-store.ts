import { createHash, randomInt } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentReference, type DocumentSnapshot, type Firestore, type Transaction } from '@google-cloud/firestore';
import type { CollectedEvent } from '../../events/schema.ts';
import type { HistorySeeder, SeedOutcome } from '../../history/ports.ts';
import { isAnonymousUserId } from '../../kernel/shopper-id.ts';
import type { ApplyOutcome, PreferenceStore } from '../../ingest/ports.ts';
import type { Preferences } from '../../learn/preferences.ts';
import type { ClickThroughIncrement } from '../../learn/click-through.ts';
import { COLLECTIONS, shopperRefs } from './shopper-documents.ts';

export { COLLECTIONS } from './shopper-documents.ts';

export type LearnFn = (current: Preferences | null, userId: string, events: readonly CollectedEvent[], now: Date) => Preferences;
export type ClickThroughFn = (events: readonly CollectedEvent[]) => ClickThroughIncrement[];

export type PreferenceStoreOptions = {
  learn: LearnFn;
  clickThrough: ClickThroughFn;
  /** How long an applied event id is remembered; must outlast Pub/Sub's redelivery window (7 days). Default 8 days. */
  markerTtlDays?: number;
  /** Shards per query's click-through counter: one Firestore document takes about one sustained write a second. Default 10. */
  counterShards?: number;
};

/**
 * Applied event ids are spread over 16 documents by a hash of the id, so a message touches at most
 * 16 of them whatever its size: writes per event fall well under one for batched requests, and
 * each document stays far below Firestore's 1 MiB (about 20,000 ids each within the TTL window).
 */
export const APPLIED_SHARDS = 16;

/** `preferences/{id}/applied/{shard}`: applied event ids, each with when its marker expires (ms). */
export type AppliedShard = { ids: Record<string, number>; expire_at: Timestamp };

export function appliedShardOf(eventId: string): string {
  return String(parseInt(createHash('sha256').update(eventId).digest('hex').slice(0, 4), 16) % APPLIED_SHARDS);
}

/**
 * Learning as one Firestore transaction per message: read the document and the applied-id shards
 * the message's events fall in, learn from the events not seen before, and write the document,
 * the shards (with the new ids, expired ones dropped) and the click-through increments together.
 * A redelivered or resent event finds its id and changes nothing.
 */
export function createFirestorePreferenceStore(firestore: Firestore, options: PreferenceStoreOptions): PreferenceStore {
  const markerTtlMs = markerTtlOf(options);
  return {
    async apply(userId, events, now): Promise<ApplyOutcome> {
      const { applied, alreadyApplied, writes } = await learnOnce(firestore, options, userId, events, now, { markedUntil: () => now.getTime() + markerTtlMs });
      return { applied, alreadyApplied, writes };
    },
  };
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
 * A slice of shoppers is read in a few batched reads, and each shopper's document, marks and privacy settings are
 * written in one batch that holds only if none of them changed since the read (preconditions on their update
 * times, or on their absence): a shopper whom live learning, a privacy change or an erasure touched meanwhile is
 * learned again in the transaction live learning uses. Batches need none of a transaction's locks or round trips.
 * Not a BulkWriter: it commits each document on its own, and a shopper's document, marks and seeded mark must hold
 * together or not at all; the slice's batches go in parallel instead.
 */
export function createFirestoreHistorySeeder(firestore: Firestore, options: HistorySeederOptions): HistorySeeder {
  const markerTtlMs = markerTtlOf(options);
  const markingFor = (importId: string, now: Date): Marking => ({
    markedUntil: (event) => Date.parse(event.event_time) + options.liveWindowMs + markerTtlMs,
    seededBy: { id: `${SEEDED_MARK}${importId}`, until: now.getTime() + options.resumeWindowMs },
  });
  return {
    async seed(shoppers, now, importId): Promise<SeedOutcome[]> {
      const marking = markingFor(importId, now);
      const reads = shoppers.map(({ userId, events }) => readPlan(firestore, userId, events, marking));
      const refs = reads.flatMap((r) => r.refs);
      const snapshots: DocumentSnapshot[] = [];
      for (let i = 0; i < refs.length; i += GET_ALL_CHUNK) snapshots.push(...(await firestore.getAll(...refs.slice(i, i + GET_ALL_CHUNK))));
      const outcomes = new Array<SeedOutcome>(shoppers.length);
      let offset = 0;
      const planned = reads.map((read, i) => {
        const own = snapshots.slice(offset, offset + read.refs.length);
        offset += read.refs.length;
        return { i, read, plan: plan(firestore, options, shoppers[i] as SeedShopper, now, marking, read, own) };
      });
      await pool(planned, options.concurrency ?? 64, async ({ i, read, plan: p }) => {
        if (p.writes.length === 0) {
          outcomes[i] = p.outcome;
          return;
        }
        const batch = firestore.batch();
        for (const write of p.writes) {
          if (write.kind === 'increment') batch.set(write.ref, write.data, { merge: true });
          else if (write.kind === 'delete') batch.delete(write.ref, { lastUpdateTime: write.updateTime });
          else if (write.updateTime) batch.update(write.ref, write.data, { lastUpdateTime: write.updateTime });
          else batch.create(write.ref, write.data);
        }
        // The settings decided whether to learn: they must be what was read.
        const privacy = p.privacy;
        if (privacy.updateTime) batch.update(read.privacy, { updated_at: privacy.updatedAt ?? null }, { lastUpdateTime: privacy.updateTime });
        else batch.delete(read.privacy, { exists: false });
        try {
          await batch.commit();
          outcomes[i] = p.outcome;
        } catch (error) {
          if (!changedSinceRead(error)) throw error;
          const { userId, events } = shoppers[i] as SeedShopper;
          outcomes[i] = await learnOnce(firestore, options, userId, events, now, marking);
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

/** What one learning call reads: the document, the shopper's settings, and the shards its marks fall in. */
type ReadPlan = {
  preferences: DocumentReference;
  privacy: DocumentReference;
  shardIds: string[];
  shardRefs: DocumentReference[];
  shardOf: Map<string, string>;
  seededShard: string | null;
  /** In read order: the document, the settings, then the shards. */
  refs: DocumentReference[];
};

function readPlan(firestore: Firestore, userId: string, events: readonly CollectedEvent[], marking: Marking): ReadPlan {
  const { preferences, applied: markers, privacy } = shopperRefs(firestore, userId);
  // The shards are the shopper's own (`preferences/{id}/applied`): an event_id is looked up among this
  // shopper's applied events only, so the marker's identity is (user_id, event_id) and another's same id is new.
  const shardOf = new Map(events.map((e) => [e.event_id, appliedShardOf(e.event_id)]));
  const seededShard = marking.seededBy ? appliedShardOf(marking.seededBy.id) : null;
  const shardIds = [...new Set([...shardOf.values(), ...(seededShard === null ? [] : [seededShard])])];
  const shardRefs = shardIds.map((id) => markers.doc(id));
  return { preferences, privacy, shardIds, shardRefs, shardOf, seededShard, refs: [preferences, privacy, ...shardRefs] };
}

/** A write of one learning call: a document replaced (or created) as read, one deleted as read, or counters incremented. */
type PlannedWrite =
  | { kind: 'replace'; ref: DocumentReference; data: Record<string, unknown>; updateTime: Timestamp | undefined }
  | { kind: 'delete'; ref: DocumentReference; updateTime: Timestamp }
  | { kind: 'increment'; ref: DocumentReference; data: Record<string, unknown> };

type Plan = { outcome: SeedOutcome; writes: PlannedWrite[]; privacy: { updateTime: Timestamp | undefined; updatedAt: unknown } };

/**
 * What one learning call does, from what it read: the events without a mark are learned and marked; the document,
 * the changed shards and the click-through increments are what it writes. The same whether a transaction or a
 * batch with preconditions applies it.
 */
function plan(firestore: Firestore, options: PreferenceStoreOptions, shopper: SeedShopper, now: Date, marking: Marking, read: ReadPlan, snapshots: readonly (DocumentSnapshot | undefined)[]): Plan {
  const { userId, events } = shopper;
  const [current, settings, ...shardSnapshots] = snapshots;
  const privacy = { updateTime: settings?.exists ? settings.updateTime : undefined, updatedAt: settings?.get('updated_at') as unknown };
  const applied = new Map(read.shardIds.map((id, i) => [id, { ...((shardSnapshots[i]?.get('ids') ?? {}) as AppliedShard['ids']) }]));
  const nothing = (seededBefore: boolean): Plan => ({ outcome: { applied: 0, alreadyApplied: seededBefore ? 0 : events.length, seededBefore, writes: 0 }, writes: [], privacy });
  const { seededBy } = marking;
  if (seededBy && read.seededShard !== null && seededBy.id in (applied.get(read.seededShard) ?? {})) return nothing(true);

  const touched = new Set<string>();
  const fresh: CollectedEvent[] = [];
  for (const event of events) {
    const shard = read.shardOf.get(event.event_id) ?? '';
    const ids = applied.get(shard);
    if (!ids || event.event_id in ids) continue;
    // Marked even when the mark is not kept: a repeat within this call is then a repeat too.
    ids[event.event_id] = marking.markedUntil(event);
    touched.add(shard);
    fresh.push(event);
  }
  if (seededBy && read.seededShard !== null) {
    (applied.get(read.seededShard) ?? {})[seededBy.id] = seededBy.until;
    touched.add(read.seededShard);
  }
  if (touched.size === 0) return nothing(false);

  // Consent was checked before this message was stored, but learning may have been switched off since:
  // reading the flag with the document means a document the switch deleted is never re-created.
  // The events are still marked applied, so turning learning back on never learns them late.
  const learning = settings?.get('learn_preferences') !== false;
  const writes: PlannedWrite[] = [];
  if (learning && fresh.length > 0) {
    const stored = current?.data() ?? null;
    const learned = options.learn(learnedPreferences(stored), userId, fresh, now);
    // Keep fields other writers own (the batch job's `patterns`); replace what learning owns.
    writes.push({ kind: 'replace', ref: read.preferences, data: { ...(stored ?? {}), ...learned }, updateTime: current?.exists ? current.updateTime : undefined });
  }
  for (const [i, id] of read.shardIds.entries()) {
    const shardRef = read.shardRefs[i];
    if (!touched.has(id) || !shardRef) continue;
    const shard = liveShard(applied.get(id) ?? {}, now.getTime());
    const before = shardSnapshots[i];
    // A shard whose marks have all run out (old imported events) is deleted rather than kept empty.
    if (!shard) {
      if (before?.exists && before.updateTime) writes.push({ kind: 'delete', ref: shardRef, updateTime: before.updateTime });
      continue;
    }
    writes.push({ kind: 'replace', ref: shardRef, data: shard, updateTime: before?.exists ? before.updateTime : undefined });
  }
  // One write per query, all its positions together: a search shows many results.
  const counterShards = options.counterShards ?? 10;
  for (const [query, increments] of groupByQuery(options.clickThrough(fresh))) {
    writes.push({ kind: 'increment', ref: counterShard(firestore, query, randomInt(counterShards)), data: counterUpdate(query, increments) });
  }
  return { outcome: { applied: learning ? fresh.length : 0, alreadyApplied: events.length - fresh.length, seededBefore: false, writes: writes.length }, writes, privacy };
}

/** The one transaction of learning: `plan` over what the transaction read, written together. */
async function learnOnce(
  firestore: Firestore,
  options: PreferenceStoreOptions,
  userId: string,
  events: readonly CollectedEvent[],
  now: Date,
  marking: Marking,
): Promise<SeedOutcome> {
  return firestore.runTransaction(async (tx) => {
    // A visitor linked to a shopper since these events were collected learns into the shopper's document, behind
    // the shopper's markers (which took the visitor's in when they were linked): read in this transaction, so a
    // link made meanwhile never leaves a visitor's document behind that nothing would merge.
    const shopper = isAnonymousUserId(userId) ? await linkedShopper(tx, shopperRefs(firestore, userId).link) : null;
    const learner = { userId: shopper ?? userId, events: shopper === null ? events : events.map((event) => ({ ...event, user_id: shopper })) };
    const read = readPlan(firestore, learner.userId, learner.events, marking);
    const snapshots = await tx.getAll(...read.refs);
    const { outcome, writes } = plan(firestore, options, learner, now, marking, read, snapshots);
    for (const write of writes) {
      if (write.kind === 'delete') tx.delete(write.ref);
      else if (write.kind === 'increment') tx.set(write.ref, write.data, { merge: true });
      else tx.set(write.ref, write.data);
    }
    return outcome;
  });
}

/** The shopper a visitor was linked to, read in the learning transaction; null for a visitor nobody linked. */
async function linkedShopper(tx: Transaction, link: DocumentReference): Promise<string | null> {
  const userId = (await tx.get(link)).get('user_id') as unknown;
  return typeof userId === 'string' ? userId : null;
}

/**
 * A shard as stored: its ids less those expired by `nowMs`, expiring (Firestore TTL) once its newest id has, so a
 * shopper who left leaves nothing behind; null when no id is left.
 */
export function liveShard(ids: AppliedShard['ids'], nowMs: number): AppliedShard | null {
  const live = Object.fromEntries(Object.entries(ids).filter(([, expiresAt]) => expiresAt > nowMs));
  const expiries = Object.values(live);
  return expiries.length === 0 ? null : { ids: live, expire_at: Timestamp.fromMillis(Math.max(...expiries)) };
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Query texts can hold any character; a hash makes a valid, bounded document id. */
export function queryKey(normalizedQuery: string): string {
  return createHash('sha256').update(normalizedQuery).digest('hex').slice(0, 32);
}

function counterShard(firestore: Firestore, query: string, shard: number): DocumentReference {
  return firestore.collection(COLLECTIONS.clickThrough).doc(queryKey(query)).collection(COLLECTIONS.shards).doc(String(shard));
}

function groupByQuery(increments: readonly ClickThroughIncrement[]): Map<string, ClickThroughIncrement[]> {
  const byQuery = new Map<string, ClickThroughIncrement[]>();
  for (const increment of increments) {
    const group = byQuery.get(increment.query);
    if (group) group.push(increment);
    else byQuery.set(increment.query, [increment]);
  }
  return byQuery;
}

/**
 * The learned part of a stored preference document, or null when learning has not run yet: a
 * document the batch job created first holds only its own fields.
 */
export function learnedPreferences(data: Record<string, unknown> | null | undefined): Preferences | null {
  return data?.schema_version === undefined ? null : (data as Preferences);
}

function counterUpdate(query: string, increments: readonly ClickThroughIncrement[]) {
  const positions = Object.fromEntries(
    increments.map((i) => [String(i.position), { impressions: FieldValue.increment(i.impressions), clicks: FieldValue.increment(i.clicks) }]),
  );
  return { query, positions };
}

/** Sums a query's shards: impressions and clicks per position. */
export async function readClickThrough(firestore: Firestore, normalizedQuery: string): Promise<Record<string, { impressions: number; clicks: number }>> {
  const snapshot = await firestore.collection(COLLECTIONS.clickThrough).doc(queryKey(normalizedQuery)).collection(COLLECTIONS.shards).get();
  const totals: Record<string, { impressions: number; clicks: number }> = {};
  for (const doc of snapshot.docs) {
    const positions = (doc.get('positions') ?? {}) as Record<string, { impressions?: number; clicks?: number }>;
    for (const [position, counts] of Object.entries(positions)) {
      const total = (totals[position] ??= { impressions: 0, clicks: 0 });
      total.impressions += counts.impressions ?? 0;
      total.clicks += counts.clicks ?? 0;
    }
  }
  return totals;
}
