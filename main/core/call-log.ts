/**
 * The call log: an append-only JSONL audit file plus a bounded in-memory ring for the UI.
 * A call's decision is written (synchronously, so a crash after the write keeps it) before the call is
 * forwarded; its outcome after. On start the file is read back to rebuild rate-limit counters and the ring.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { CallRecord } from "../../shared/contract.js";

/** The first line written for a call: the record as decided, and the counter keys it holds. */
interface DecisionLine extends CallRecord {
  t: "decision";
  counterKeys: string[];
}

/** A later line for the same call. `released` gives its counter slots back (it was never forwarded). */
export interface OutcomeLine extends Partial<Pick<CallRecord, "status" | "outcome" | "latencyMs" | "error">> {
  t: "outcome";
  id: string;
  ts: number;
  released?: boolean;
}

/** Longest arguments kept in memory per call, in characters of JSON. */
const MAX_ARGS_CHARS = 8 * 1024;
/** Longest result kept in memory, in characters of JSON. */
const MAX_RESULT_CHARS = 64 * 1024;
/** Most result text kept in memory for all calls together. */
const MAX_RESULTS_CHARS = 16 * 1024 * 1024;

/** Counted calls found in the log, for the rate limiter. */
export interface CountedCall {
  keys: string[];
  at: number;
}

/** What reading the log back found. */
export interface LogReplay {
  counted: CountedCall[];
  lines: number;
  unreadable: number;
}

/** Applies what became of a call to its record. */
function applyOutcome(record: CallRecord, entry: OutcomeLine): void {
  if (entry.status) record.status = entry.status;
  if (entry.outcome) record.outcome = entry.outcome;
  if (entry.latencyMs !== undefined) record.latencyMs = entry.latencyMs;
  if (entry.error !== undefined) record.error = entry.error;
}

/** The lines of a file from the last to the first, read in chunks (the file may be large). */
async function* readLinesBackwards(path: string, chunkSize = 1 << 20): AsyncGenerator<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch {
    return;
  }
  try {
    let position = (await handle.stat()).size;
    let carry = "";
    while (position > 0) {
      const size = Math.min(chunkSize, position);
      position -= size;
      const buffer = Buffer.alloc(size);
      await handle.read(buffer, 0, size, position);
      const lines = (buffer.toString("utf8") + carry).split("\n");
      carry = lines.shift() ?? "";
      for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) yield lines[i] as string;
    }
    if (carry) yield carry;
  } finally {
    await handle.close();
  }
}

/** The audit file and the ring of recent calls. */
export class CallLog {
  readonly #path: string;
  readonly #ringSize: number;
  readonly #ring: CallRecord[] = [];
  readonly #byId = new Map<string, CallRecord>();
  readonly #results = new Map<string, { value: unknown; size: number }>();
  #resultChars = 0;
  #fd: number | undefined;
  /** Calls per local day (the last few days), for "calls today". */
  readonly #perDay = new Map<number, number>();
  #dayStart = 0;

  constructor(path: string, ringSize = 5_000) {
    this.#path = path;
    this.#ringSize = ringSize;
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Reads the existing log (calls newer than `since` count toward limits) and opens it for appending.
   * A torn last line from a crash is skipped and the file is made to end with a newline.
   */
  async open(since: number): Promise<LogReplay> {
    const replay: LogReplay = { counted: [], lines: 0, unreadable: 0 };
    // Only a regular file is read back: a device or a pipe in its place would never end.
    if (existsSync(this.#path) && statSync(this.#path).isFile()) {
      const counted = new Map<string, CountedCall>();
      const input = createReadStream(this.#path, { encoding: "utf8" });
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (!line) continue;
        replay.lines++;
        let entry: DecisionLine | OutcomeLine;
        try {
          entry = JSON.parse(line) as DecisionLine | OutcomeLine;
        } catch {
          replay.unreadable++;
          continue;
        }
        if (entry === null || typeof entry !== "object") {
          replay.unreadable++;
        } else if (
          entry.t === "decision" &&
          typeof entry.id === "string" &&
          Array.isArray(entry.counterKeys)
        ) {
          const { t: _t, counterKeys, ...record } = entry;
          this.#remember(record);
          if (counterKeys.length && record.ts > since)
            counted.set(record.id, { keys: counterKeys, at: record.ts });
        } else if (entry.t === "outcome" && typeof entry.id === "string") {
          this.#apply(entry);
          if (entry.released) counted.delete(entry.id);
        } else {
          replay.unreadable++;
        }
      }
      replay.counted = [...counted.values()];
    }
    this.#fd = openSync(this.#path, "a", 0o600);
    if (!this.#endsWithNewline()) writeSync(this.#fd, "\n");
    return replay;
  }

  #endsWithNewline(): boolean {
    const stat = statSync(this.#path);
    if (!stat.isFile()) return true;
    const size = stat.size;
    if (size === 0) return true;
    const fd = openSync(this.#path, "r");
    try {
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, size - 1);
      return byte[0] === 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  #write(line: object): void {
    if (this.#fd === undefined) throw new Error("the audit log is not open");
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
  }

  /** Writes a call's decision. Throws when the audit file cannot be written: the caller must not forward. */
  decision(record: CallRecord, counterKeys: readonly string[]): CallRecord {
    this.#write({ t: "decision", ...record, counterKeys });
    return this.#remember({ ...record });
  }

  /** Writes what became of a call. Throws when the audit file cannot be written. */
  outcome(line: Omit<OutcomeLine, "t">): CallRecord | undefined {
    const entry: OutcomeLine = { t: "outcome", ...line };
    this.#write(entry);
    return this.#apply(entry);
  }

  /** The newest calls first, at most `limit` (and at most the ring's size). */
  recent(limit = 500): CallRecord[] {
    return this.#ring.slice(-Math.min(limit, this.#ringSize)).reverse();
  }

  /**
   * Keeps a call's result beside it in the ring: each cut at 64 KB of JSON, and all of them together at
   * 16 MB (the oldest results go first), so results cannot grow the warden's memory without bound.
   */
  setResult(id: string, result: unknown): void {
    if (!this.#byId.has(id)) return;
    const text = JSON.stringify(result) ?? "null";
    const size = Math.min(text.length, MAX_RESULT_CHARS);
    const value =
      text.length <= MAX_RESULT_CHARS
        ? result
        : { truncated: true, preview: text.slice(0, MAX_RESULT_CHARS) };
    this.#dropResult(id);
    this.#results.set(id, { value, size });
    this.#resultChars += size;
    for (const oldest of this.#results.keys()) {
      if (this.#resultChars <= MAX_RESULTS_CHARS) break;
      this.#dropResult(oldest);
    }
  }

  #dropResult(id: string): void {
    const held = this.#results.get(id);
    if (!held) return;
    this.#results.delete(id);
    this.#resultChars -= held.size;
  }

  /** A call's result, while the call is in the ring. */
  resultOf(id: string): unknown {
    return this.#results.get(id)?.value;
  }

  /**
   * The calls logged before `before`, newest first, at most `limit`: from the ring when it holds them,
   * else read backwards from the audit file (outcomes applied), so the whole log can be paged through.
   */
  async olderThan(before: { id: string; ts: number }, limit: number): Promise<CallRecord[]> {
    const at = this.#ring.findIndex((r) => r.id === before.id);
    if (at >= limit) return this.#ring.slice(at - limit, at).reverse();
    const out: CallRecord[] = [];
    const outcomes = new Map<string, OutcomeLine[]>();
    let passed = false;
    for await (const line of readLinesBackwards(this.#path)) {
      let entry: DecisionLine | OutcomeLine;
      try {
        entry = JSON.parse(line) as DecisionLine | OutcomeLine;
      } catch {
        continue;
      }
      if (entry?.t === "outcome" && typeof entry.id === "string") {
        const list = outcomes.get(entry.id) ?? [];
        list.unshift(entry);
        outcomes.set(entry.id, list);
        continue;
      }
      if (entry?.t !== "decision" || typeof entry.id !== "string") continue;
      if (entry.id === before.id) {
        passed = true;
        continue;
      }
      if (entry.ts > before.ts || (entry.ts === before.ts && !passed)) {
        outcomes.delete(entry.id);
        continue;
      }
      const { t: _t, counterKeys: _keys, ...record } = entry;
      for (const outcome of outcomes.get(entry.id) ?? []) applyOutcome(record, outcome);
      outcomes.delete(entry.id);
      out.push(record);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A call still in the ring. */
  get(id: string): CallRecord | undefined {
    return this.#byId.get(id);
  }

  /** Calls logged on the local day of `now`, counted over the whole log (not only the ring). */
  callsOnDayOf(now: number): number {
    return this.#perDay.get(new Date(now).setHours(0, 0, 0, 0)) ?? 0;
  }

  /** Keeps a call in the ring, its arguments cut to 8 KB of JSON (the audit file has them whole). */
  #remember(full: CallRecord): CallRecord {
    const argsText = JSON.stringify(full.args) ?? "{}";
    const record: CallRecord =
      argsText.length <= MAX_ARGS_CHARS
        ? full
        : { ...full, args: { "…": argsText.slice(0, MAX_ARGS_CHARS) }, argsTruncated: true };
    this.#ring.push(record);
    this.#byId.set(record.id, record);
    // Trim in batches: one splice per quarter-ring of calls, not one per call.
    if (this.#ring.length > this.#ringSize + (this.#ringSize >> 2)) {
      const dropped = this.#ring.splice(0, this.#ring.length - this.#ringSize);
      for (const r of dropped) {
        this.#byId.delete(r.id);
        this.#dropResult(r.id);
      }
    }
    if (record.ts < this.#dayStart || record.ts >= this.#dayStart + 86_400_000) {
      this.#dayStart = new Date(record.ts).setHours(0, 0, 0, 0);
    }
    this.#perDay.set(this.#dayStart, (this.#perDay.get(this.#dayStart) ?? 0) + 1);
    if (this.#perDay.size > 3) this.#perDay.delete(Math.min(...this.#perDay.keys()));
    return record;
  }

  #apply(entry: OutcomeLine): CallRecord | undefined {
    const record = this.#byId.get(entry.id);
    if (record) applyOutcome(record, entry);
    return record;
  }

  /** Closes the file. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
