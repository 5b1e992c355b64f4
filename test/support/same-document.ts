/**
 * Where two documents differ, by path. Numbers may differ by float rounding, since sums taken in
 * another order round differently: |a − b| ≤ 1e-9 × max(|a|, |b|). For a `weight`, which can cancel
 * to about zero, the scale also includes `weightFloor`, the stored size of a unit signal at `now`.
 */
export function differences(actual: unknown, expected: unknown, weightFloor: number, path = '$'): string[] {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(Math.abs(actual), Math.abs(expected), path.endsWith('.weight') ? weightFloor : 0);
    return Math.abs(actual - expected) <= 1e-9 * scale ? [] : [`${path}: ${actual} ≠ ${expected}`];
  }
  if (isRecord(actual) && isRecord(expected)) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    return [...keys].flatMap((key) =>
      Object.hasOwn(actual, key) && Object.hasOwn(expected, key)
        ? differences(actual[key], expected[key], weightFloor, `${path}.${key}`)
        : [`${path}.${key}: only in ${Object.hasOwn(actual, key) ? 'actual' : 'expected'}`],
    );
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
