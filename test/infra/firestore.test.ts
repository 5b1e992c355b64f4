import { beforeAll, describe, expect, it } from 'vitest';
import { emptyPreferences } from '../../functions/learn/learn.ts';
import { named, ofType, PROJECT, runProgram, TYPES, type Registered } from './run-program.ts';

/** The maps of `preferences/{userId}`: what learning writes, `patterns`, which the batch job writes, and the applied ids. */
const PREFERENCE_MAPS = [
  'products',
  'brands',
  'categories',
  'brands_by_category',
  'dietary',
  'recent',
  'reorder',
  'explicit',
  'patterns',
  'applied_ids',
];

describe('Firestore', () => {
  let resources: Registered[];
  let fields: Registered[];
  beforeAll(async () => {
    resources = await runProgram();
    fields = ofType(resources, TYPES.firestoreField);
  });
  const fieldAt = (collection: string, field: string) => {
    const found = fields.filter((f) => f.inputs.collection === collection && f.inputs.field === field);
    expect(found, `${collection}.${field}`).toHaveLength(1);
    return found[0]?.inputs ?? {};
  };

  it('is the (default) database in Native mode, in eur3, protected from deletion', () => {
    expect(named(resources, TYPES.firestoreDatabase, 'firestore-database').inputs).toMatchObject({
      project: PROJECT,
      name: '(default)',
      type: 'FIRESTORE_NATIVE',
      locationId: 'eur3',
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
      deletionPolicy: 'ABANDON',
    });
  });

  it('deletes the idempotency markers of the earlier layout by their expire_at, in every applied subcollection', () => {
    expect(fieldAt('applied', 'expire_at')).toMatchObject({ project: PROJECT, database: '(default)', ttlConfig: {} });
  });

  it('indexes that expire_at across applied subcollections, ascending: learning asks whether any marker is still live', () => {
    expect(fieldAt('applied', 'expire_at').indexConfig).toEqual({ indexes: [{ queryScope: 'COLLECTION_GROUP', order: 'ASCENDING' }] });
  });

  it('keeps the applied event ids out of the indexes: thousands per document would exceed its index entries', () => {
    expect(fieldAt('applied', 'ids')).toEqual({
      project: PROJECT,
      database: '(default)',
      collection: 'applied',
      field: 'ids',
      indexConfig: {},
    });
  });

  it('sets a TTL on no other field', () => {
    expect(
      fields.filter((f) => f.inputs.ttlConfig !== undefined).map((f) => `${String(f.inputs.collection)}.${String(f.inputs.field)}`),
    ).toEqual(['applied.expire_at']);
  });

  it.each(PREFERENCE_MAPS)('keeps preferences.%s out of every single-field index', (map) => {
    expect(fieldAt('preferences', map)).toEqual({
      project: PROJECT,
      database: '(default)',
      collection: 'preferences',
      field: map,
      indexConfig: {},
    });
  });

  it('exempts every map that learning writes, so a new one cannot slip into the indexes unnoticed', () => {
    const maps = Object.entries(emptyPreferences('shopper')).filter(([, value]) => typeof value === 'object' && value !== null);

    expect(maps.length).toBeGreaterThan(0);
    for (const [name] of maps) expect(PREFERENCE_MAPS).toContain(name);
  });

  it('keeps the click-through counts the earlier layout left out of the indexes', () => {
    expect(fieldAt('shards', 'positions')).toMatchObject({ collection: 'shards', indexConfig: {} });
  });

  it('asks for no other single-field index: every other field config is an exemption', () => {
    for (const field of fields.filter((f) => f.inputs.field !== 'expire_at')) expect(field.inputs.indexConfig).toEqual({});
  });

  // The runtime queries `erasure_requests` by `state == 'pending'` and `privacy` by `retention_days != 365`: each needs
  // only the single-field index Firestore builds by itself, which an exemption of the field (or of a map holding it,
  // or of the database's defaults) would remove, failing the query.
  it.each([
    ['erasure_requests', 'state'],
    ['privacy', 'retention_days'],
  ])('keeps the automatic index of %s.%s, which the privacy jobs query', (collection, queried) => {
    const covering = fields.filter((f) => {
      const field = String(f.inputs.field);
      const onCollection = f.inputs.collection === collection || f.inputs.collection === '__default__';
      return onCollection && (field === '*' || field === queried || queried.startsWith(`${field}.`));
    });

    expect(fields.length).toBeGreaterThan(0);
    expect(covering.map((f) => f.name)).toEqual([]);
    expect(resources.filter((r) => r.type === 'gcp:firestore/index:Index' && r.inputs.collection === collection)).toEqual([]);
  });
});
