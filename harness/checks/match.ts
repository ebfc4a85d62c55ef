// Subset matching of expectations against observed records (FDB entries, links, packets).
// A scalar must be equal (text compares case-insensitively, so MACs match in any case),
// a list must have every item present, `{ anyOf: [...] }` accepts any one of its values,
// a scalar against an observed list needs the list to hold it (neighbour state [STALE]),
// and a nested mapping matches the nested record. Keys the expectation leaves out are ignored.

type Scalar = string | number | boolean;

function sameScalar(expected: Scalar, actual: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (Array.isArray(actual)) return actual.some((a) => sameScalar(expected, a));
  if (typeof expected === 'boolean' || typeof actual === 'boolean') return expected === actual;
  return String(expected).toLowerCase() === String(actual).toLowerCase();
}

function isAnyOf(value: unknown): value is { anyOf: Scalar[] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray((value as { anyOf?: unknown }).anyOf);
}

export function matches(expected: unknown, actual: unknown): boolean {
  if (expected === undefined) return true;
  if (isAnyOf(expected)) return expected.anyOf.some((option) => sameScalar(option, actual));
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((item) => actual.some((a) => sameScalar(item as Scalar, a)));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected).every(([key, value]) => matches(value, (actual as Record<string, unknown>)[key]));
  }
  return sameScalar(expected as Scalar, actual);
}

/** Drops undefined fields so expectations print cleanly in diagnostics. */
export function compact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
