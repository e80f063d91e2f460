/** Calls per minute by decision, for the small chart above the live calls. */
import type { CallRecord } from "../../../shared/contract.js";
import { STATUS_TONE } from "../format.js";

export type Tone = (typeof STATUS_TONE)[keyof typeof STATUS_TONE];
export const TONES: readonly Tone[] = ["ok", "wait", "warn", "bad", "muted"];

/** One minute of calls. */
export interface MinuteBucket {
  /** Epoch milliseconds at the start of the minute. */
  start: number;
  counts: Record<Tone, number>;
  total: number;
}

/**
 * The last `minutes` whole minutes up to `now` (oldest first). `newestFirst` is read only until the
 * first call older than the window, so the cost does not grow with the size of the log.
 */
export function callsPerMinute(newestFirst: Iterable<CallRecord>, now: number, minutes = 30): MinuteBucket[] {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const start = end - minutes * 60_000;
  const buckets: MinuteBucket[] = Array.from({ length: minutes }, (_, i) => ({
    start: start + i * 60_000,
    counts: { ok: 0, wait: 0, warn: 0, bad: 0, muted: 0 },
    total: 0,
  }));
  for (const call of newestFirst) {
    if (call.ts < start) break;
    const bucket = buckets[Math.floor((call.ts - start) / 60_000)];
    if (!bucket) continue;
    bucket.counts[STATUS_TONE[call.status]] += 1;
    bucket.total += 1;
  }
  return buckets;
}
