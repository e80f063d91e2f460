/**
 * Rate-limit counters: a sliding log of call times per counter key. A slot is reserved when a call is
 * decided (so concurrent calls can never over-admit), and released if the call is not forwarded after
 * all (approval refused, upstream unreachable). Counters live outside the policy, so a reload keeps them,
 * and are rebuilt from the audit log on start.
 */
import type { LimitView } from "./decide.js";

/**
 * History kept at the least, so a reload that shortens windows and a later one that lengthens them again
 * still sees the calls of the last day.
 */
export const MIN_RETENTION_MS = 86_400_000;

/** Slots held by one call, to be released if it never reaches the upstream. */
export interface Reservation {
  readonly keys: readonly string[];
  readonly at: number;
}

/** Sliding-window counters keyed by counter name + scope value. */
export class RateLimiter implements LimitView {
  readonly #times = new Map<string, number[]>();
  #retentionMs = MIN_RETENTION_MS;

  /** Keep history for the running policy's longest window, and never less than a day. */
  setRetention(ms: number): void {
    this.#retentionMs = Math.max(ms, MIN_RETENTION_MS);
  }

  /** Index of the first time inside the window ending at `now`. */
  #firstInWindow(times: number[], windowMs: number, now: number): number {
    const start = now - windowMs;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((times[mid] ?? 0) <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Calls counted under `key` in the window ending at `now`. */
  count(key: string, windowMs: number, now: number): number {
    const times = this.#times.get(key);
    return times ? times.length - this.#firstInWindow(times, windowMs, now) : 0;
  }

  waitFor(key: string, windowMs: number, max: number, now: number): number {
    const times = this.#times.get(key);
    if (!times) return max > 0 ? 0 : windowMs;
    const first = this.#firstInWindow(times, windowMs, now);
    const inWindow = times.length - first;
    if (inWindow < max) return 0;
    if (max === 0) return windowMs;
    // The slot frees when the call that pushed the count to max leaves the window.
    const freeing = times[first + inWindow - max] ?? now;
    return Math.max(1, freeing + windowMs - now);
  }

  /** Counts one call under each key now. */
  reserve(keys: readonly string[], now: number): Reservation {
    for (const key of keys) this.#add(key, now);
    return { keys, at: now };
  }

  /** Gives back a reservation's slots. */
  release(reservation: Reservation): void {
    for (const key of reservation.keys) {
      const times = this.#times.get(key);
      const i = times?.lastIndexOf(reservation.at) ?? -1;
      if (times && i >= 0) times.splice(i, 1);
    }
  }

  /** Restores a counted call from the audit log. */
  restore(keys: readonly string[], at: number): void {
    for (const key of keys) this.#add(key, at);
  }

  #add(key: string, at: number): void {
    let times = this.#times.get(key);
    if (!times) {
      times = [];
      this.#times.set(key, times);
    }
    times.push(at);
    // Times arrive in order except when restored or when the clock steps back: keep the log sorted.
    for (let i = times.length - 1; i > 0 && (times[i - 1] ?? 0) > at; i--) {
      times[i] = times[i - 1] ?? 0;
      times[i - 1] = at;
    }
    const drop = this.#firstInWindow(times, this.#retentionMs, at);
    if (drop > 0 && drop < times.length) times.splice(0, drop);
  }
}
