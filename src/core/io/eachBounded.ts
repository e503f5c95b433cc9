import { throwIfAborted } from '../abort';

/**
 * Runs `work` on every item, at most `limit` at once (file reads, so the thread pool stays busy without a
 * descriptor per file); no new item starts once `signal` aborts.
 */
export async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      throwIfAborted(signal);
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
