// Ordering for names that need a stable order, not a human one.

/**
 * Compares by UTF-16 code units, as `<` does. Not localeCompare: that builds an ICU collator at
 * its first call, about 8 ms of every run's start (issue 12), for an order no reader sees.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
