/**
 * The calls the UI keeps in memory: at most `capacity` records (the oldest are dropped), newest first,
 * each updated in place when a later `call` event carries the same id (a decision, then its outcome).
 * Live calls are added at the newest end; pages read back from the log at the oldest end (`addOlder`).
 */
import type { CallRecord } from "../../../shared/contract.js";

/** How far a record has got: a later stage is never overwritten by an earlier one. */
function stage(record: CallRecord): number {
  if (record.latencyMs !== undefined || record.outcome !== undefined) return 2;
  return record.status === "awaiting-approval" ? 0 : 1;
}

/** The default bound: enough for a long day, small enough to filter in a few milliseconds. */
export const CALL_BUFFER_CAPACITY = 100_000;

export class CallBuffer {
  readonly capacity: number;
  /** Oldest first; `#items[i]` has sequence number `#base + i`. */
  #items: CallRecord[] = [];
  #base = 0;
  readonly #seq = new Map<string, number>();
  #dropped = false;
  /** Bumped on every change, so views can memoise on it. */
  version = 0;

  constructor(capacity = CALL_BUFFER_CAPACITY) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Holds as many calls as it may: no older one can be added. */
  get full(): boolean {
    return this.#items.length >= this.capacity;
  }

  /**
   * Has let older calls go (trimmed at capacity, or a page that did not fit): the oldest call held is not
   * the oldest there was, and older ones are not loaded again.
   */
  get dropped(): boolean {
    return this.#dropped;
  }

  /** The oldest call held: where the next page back through the log starts. */
  get oldest(): CallRecord | undefined {
    return this.#items[0];
  }

  /**
   * Adds a new call or replaces the one with the same id, unless the one held has got further (a
   * `listCalls` snapshot can be older than an event that arrived while it was being fetched).
   */
  upsert(record: CallRecord): void {
    const seq = this.#seq.get(record.id);
    if (seq !== undefined) {
      const held = this.#items[seq - this.#base];
      if (held && stage(held) > stage(record)) return;
      this.#items[seq - this.#base] = record;
    } else {
      this.#seq.set(record.id, this.#base + this.#items.length);
      this.#items.push(record);
      this.#trim();
    }
    this.version += 1;
  }

  /** Adds many calls given newest first (as `listCalls` returns them). */
  load(newestFirst: readonly CallRecord[]): void {
    for (let i = newestFirst.length - 1; i >= 0; i--) {
      const record = newestFirst[i];
      if (record) this.upsert(record);
    }
  }

  /**
   * Adds a page of calls older than `after` (given newest first, as `listCalls({ before })` returns them)
   * at the oldest end, as many as there is room for. A page is only taken while `after` is still the
   * oldest call held, so it joins on without a gap; calls already held are skipped. Returns how many were
   * added.
   */
  addOlder(after: string, newestFirst: readonly CallRecord[]): number {
    if (this.#items[0]?.id !== after) return 0;
    const room = this.capacity - this.#items.length;
    const taken: CallRecord[] = [];
    const seen = new Set<string>();
    for (const record of newestFirst) {
      if (this.#seq.has(record.id) || seen.has(record.id)) continue;
      if (taken.length >= room) {
        this.#dropped = true;
        break;
      }
      taken.push(record);
      seen.add(record.id);
    }
    if (taken.length === 0) return 0;
    taken.reverse();
    this.#base -= taken.length;
    taken.forEach((record, i) => {
      this.#seq.set(record.id, this.#base + i);
    });
    this.#items = taken.concat(this.#items);
    this.version += 1;
    return taken.length;
  }

  /** The call with this id, if still held. */
  get(id: string): CallRecord | undefined {
    const seq = this.#seq.get(id);
    return seq === undefined ? undefined : this.#items[seq - this.#base];
  }

  /** Every call, newest first. */
  *newestFirst(): IterableIterator<CallRecord> {
    for (let i = this.#items.length - 1; i >= 0; i--) yield this.#items[i] as CallRecord;
  }

  /** Every call, newest first, that passes `keep`. */
  filter(keep: (record: CallRecord) => boolean): CallRecord[] {
    const out: CallRecord[] = [];
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const record = this.#items[i] as CallRecord;
      if (keep(record)) out.push(record);
    }
    return out;
  }

  /** Drops the oldest tenth once over capacity, so trimming is rare and cheap. */
  #trim(): void {
    if (this.#items.length <= this.capacity) return;
    const drop = Math.max(this.#items.length - this.capacity, Math.ceil(this.capacity / 10));
    for (const record of this.#items.slice(0, drop)) this.#seq.delete(record.id);
    this.#items = this.#items.slice(drop);
    this.#base += drop;
    this.#dropped = true;
  }
}
