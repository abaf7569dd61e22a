/**
 * `f` over `items` with at most `limit` calls under way at once, results in the items' order;
 * the first failure rejects the whole (a record that fails verification is never left out
 * silently: the caller shows the tampering warning).
 */
export async function inConcurrentBatches<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
