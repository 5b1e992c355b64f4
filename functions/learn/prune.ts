/** The entries that pass `keep`. */
export function keepWhere<V>(entries: ReadonlyMap<string, V>, keep: (value: V) => boolean): Map<string, V> {
  return new Map([...entries].filter(([, value]) => keep(value)));
}

/** The `k` highest-ranked entries; ties go to the smaller key, so the choice never depends on insertion order. */
export function keepTop<V>(entries: ReadonlyMap<string, V>, k: number, rank: (value: V) => number): Map<string, V> {
  if (entries.size <= k) return new Map(entries);
  // Ranked once per entry, not once per comparison: ranks may parse dates.
  const ranked = [...entries].map(([key, value]) => ({ key, value, rank: rank(value) }));
  ranked.sort((a, b) => b.rank - a.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new Map(ranked.slice(0, k).map(({ key, value }) => [key, value]));
}
