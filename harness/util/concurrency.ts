// At most N async calls at once, the results in order (the runner's check groups, ablate's runs).
/** Maps over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const errors: unknown[] = [];
  let next = 0;
  // A failure stops new calls, and every call in flight ends before it is thrown: nothing outlives the group.
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const k = next++;
      try {
        results[k] = await fn(items[k]!, k);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}
