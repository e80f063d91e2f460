/**
 * The call log: a chained, append-only JSONL audit log (see audit/) plus a bounded in-memory ring for the
 * UI. A call's decision is written (synchronously and whole, so a crash after the write keeps it) before
 * the call is forwarded; its outcome after. A write that fails or is cut short throws, and the caller must
 * refuse the call. On start the counters are rebuilt from a signed snapshot plus the records after it, and
 * the ring from the newest records, so start-up reads what the longest limit window needs, not all history.
 */
import { createHash } from "node:crypto";
import type { CallRecord } from "../../../shared/contract.js";
import { cutOwn } from "../cut.js";
import type { AuditOptions } from "./options.js";
import { AuditStore, type DiskUsage, type HistoryStart, type OpenReport, type StoredLine } from "./store.js";

export { AuditFullError, type DiskUsage, type HistoryStart } from "./store.js";
export { AuditWriteError } from "./writer.js";

/** The first line written for a call: the record as decided, and the counter keys it holds. */
interface DecisionLine extends CallRecord {
  t: "decision";
  counterKeys: string[];
  /** A refused call's arguments were cut: the SHA-256 and UTF-8 size of their full JSON. */
  argsSha256?: string;
  argsBytes?: number;
}

/** A later line for the same call. `released` gives its counter slots back (it was never forwarded). */
export interface OutcomeLine
  extends Partial<
    Pick<CallRecord, "status" | "outcome" | "latencyMs" | "waitedMs" | "upstreamMs" | "error" | "answeredBy">
  > {
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

/** Distinct lists of counter keys kept for sharing (grants × scopes in use); past it the cache restarts. */
const MAX_SHARED_KEY_LISTS = 1_024;

/** Counted calls found in the log, for the rate limiter. */
export interface CountedCall {
  keys: string[];
  at: number;
}

/** What reading the log back found. */
export interface LogReplay {
  counted: CountedCall[];
  /** Call lines (decisions, outcomes, unreadable ones) read on open. */
  lines: number;
  unreadable: number;
  /** A torn last record was cut off the file on open: its size and the side file that keeps it. */
  repaired?: { bytes: number; savedTo: string };
  /** Whether the counters came from the snapshot plus the records after it (else from a scan back). */
  fromSnapshot?: boolean;
  warnings?: string[];
}

/** What the snapshot keeps of the call log (the counters' inputs), beside the log's position. */
interface SnapshotState {
  /** Counted calls at or before this time were left out. */
  since: number;
  counted: [id: string, at: number, keys: string[]][];
  perDay: [day: number, calls: number][];
}

function isSnapshotState(value: unknown): value is SnapshotState {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Partial<SnapshotState>;
  return (
    typeof s.since === "number" &&
    Array.isArray(s.counted) &&
    Array.isArray(s.perDay) &&
    s.counted.every(
      (c) =>
        Array.isArray(c) &&
        typeof c[0] === "string" &&
        typeof c[1] === "number" &&
        Array.isArray(c[2]) &&
        c[2].every((k) => typeof k === "string"),
    ) &&
    s.perDay.every((d) => Array.isArray(d) && typeof d[0] === "number" && typeof d[1] === "number")
  );
}

/** Applies what became of a call to its record. */
function applyOutcome(record: CallRecord, entry: OutcomeLine): void {
  if (entry.status) record.status = entry.status;
  if (entry.outcome) record.outcome = entry.outcome;
  if (entry.latencyMs !== undefined) record.latencyMs = entry.latencyMs;
  if (entry.waitedMs !== undefined) record.waitedMs = entry.waitedMs;
  if (entry.upstreamMs !== undefined) record.upstreamMs = entry.upstreamMs;
  if (entry.error !== undefined) record.error = entry.error;
  if (entry.answeredBy !== undefined) record.answeredBy = entry.answeredBy;
}

type ParsedLine =
  | { kind: "decision"; entry: DecisionLine }
  | { kind: "outcome"; entry: OutcomeLine }
  | { kind: "log" }
  | { kind: "unreadable" };

/** The log's own lines: links between files, checkpoints, retention notes. */
const LOG_LINES = new Set(["checkpoint", "segment", "retention", "control", "team"]);

/** A team event in the log: who turned the team Deny-all on or off, a teammate's answer refused. */
export interface TeamLine {
  t: "team";
  ts: number;
  event: string;
  by?: string;
  detail?: string;
}

function parseLine(text: string): ParsedLine {
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return { kind: "unreadable" };
  }
  if (entry === null || typeof entry !== "object") return { kind: "unreadable" };
  const line = entry as { t?: unknown; id?: unknown; counterKeys?: unknown };
  if (line.t === "decision" && typeof line.id === "string" && Array.isArray(line.counterKeys))
    return { kind: "decision", entry: entry as DecisionLine };
  if (line.t === "outcome" && typeof line.id === "string")
    return { kind: "outcome", entry: entry as OutcomeLine };
  if (typeof line.t === "string" && LOG_LINES.has(line.t)) return { kind: "log" };
  return { kind: "unreadable" };
}

/** The record a decision line describes (without the log's own fields). */
function recordOf(entry: DecisionLine): CallRecord {
  const {
    t: _t,
    counterKeys: _keys,
    argsSha256: _sha,
    argsBytes: _bytes,
    seq: _seq,
    prev: _prev,
    ...record
  } = entry as DecisionLine & { seq?: unknown; prev?: unknown };
  return record;
}

function dayOf(ts: number): number {
  return new Date(ts).setHours(0, 0, 0, 0);
}

/** The audit file and the ring of recent calls. */
export class CallLog {
  readonly #path: string;
  readonly #ringSize: number;
  readonly #store: AuditStore;
  readonly #ring: CallRecord[] = [];
  readonly #byId = new Map<string, CallRecord>();
  readonly #results = new Map<string, { value: unknown; size: number }>();
  #resultChars = 0;
  /** Calls per local day (the last few days), for "calls today". */
  readonly #perDay = new Map<number, number>();
  #dayStart = 0;
  /** Calls holding counter slots, for the snapshot; older than the window they are left out. */
  readonly #counted = new Map<string, CountedCall>();
  #windowMs = Number.POSITIVE_INFINITY;
  /** One copy of each recent list of counter keys, shared by the counted calls that hold it. */
  readonly #keyLists = new Map<string, string[]>();

  /**
   * `options` bound the log's disk use and rotation (defaults in audit/options.ts) and take a write shim
   * for tests (`io`).
   */
  constructor(path: string, ringSize = 5_000, options: Partial<AuditOptions> = {}) {
    this.#path = path;
    this.#ringSize = ringSize;
    this.#store = new AuditStore(path, options);
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Opens the log for appending: a torn last record is cut off (and kept in a side file), the counted calls
   * newer than `since` are restored (from the snapshot plus the records after it, or by reading back to
   * `since`), and the ring is refilled with the newest calls.
   */
  async open(since: number): Promise<LogReplay> {
    const opened: OpenReport = await this.#store.open();
    const now = this.#store.options.now();
    this.#windowMs = now > since ? now - since : Number.POSITIVE_INFINITY;
    const snapshot = this.#store.readSnapshot();
    const state = snapshot && isSnapshotState(snapshot.state) ? snapshot.state : undefined;
    const useSnapshot = snapshot !== undefined && state !== undefined && state.since <= since;

    const replay: LogReplay = { counted: [], lines: 0, unreadable: 0 };
    const released = new Set<string>();
    const tailCounted: [string, CountedCall][] = [];
    const tailDays = new Map<number, number>();
    const newestFirst: CallRecord[] = [];
    const outcomes = new Map<string, OutcomeLine[]>();
    let counting = true;

    const inTail = (line: StoredLine): boolean =>
      useSnapshot ? line.segment === undefined && line.start >= snapshot.offset : counting;

    for await (const line of this.#store.linesBackward()) {
      if (counting && !inTail(line)) counting = false;
      const filling = newestFirst.length < this.#ringSize;
      if (!counting && !filling) break;
      const parsed = parseLine(line.text);
      if (parsed.kind === "log") continue;
      replay.lines++;
      if (parsed.kind === "unreadable") {
        replay.unreadable++;
        continue;
      }
      if (parsed.kind === "outcome") {
        const entry = parsed.entry;
        if (counting && entry.released) released.add(entry.id);
        if (filling) {
          const list = outcomes.get(entry.id) ?? [];
          list.unshift(entry);
          outcomes.set(entry.id, list);
        }
        continue;
      }
      const entry = parsed.entry;
      if (counting) {
        const day = dayOf(entry.ts);
        tailDays.set(day, (tailDays.get(day) ?? 0) + 1);
        if (entry.counterKeys.length && entry.ts > since && !released.has(entry.id))
          tailCounted.push([entry.id, { keys: entry.counterKeys, at: entry.ts }]);
        if (!useSnapshot && entry.ts <= since) counting = false;
      }
      if (filling) {
        const record = recordOf(entry);
        for (const outcome of outcomes.get(entry.id) ?? []) applyOutcome(record, outcome);
        newestFirst.push(record);
      }
      outcomes.delete(entry.id);
    }

    for (let i = newestFirst.length - 1; i >= 0; i--) this.#remember(newestFirst[i] as CallRecord);
    const days = new Map<number, number>(useSnapshot && state ? state.perDay : []);
    for (const [day, n] of tailDays) days.set(day, (days.get(day) ?? 0) + n);
    for (const day of [...days.keys()].sort((a, b) => b - a).slice(0, 3))
      this.#perDay.set(day, days.get(day) ?? 0);

    const counted: [string, CountedCall][] = [];
    if (useSnapshot && state) {
      for (const [id, at, keys] of state.counted)
        if (at > since && !released.has(id)) counted.push([id, { keys, at }]);
    }
    counted.push(...tailCounted.reverse());
    counted.sort((a, b) => a[1].at - b[1].at);
    for (const [id, call] of counted) this.#counted.set(id, call);
    replay.counted = counted.map(([, call]) => call);
    if (useSnapshot) replay.fromSnapshot = true;
    if (opened.repaired) replay.repaired = opened.repaired;
    if (opened.warnings.length) replay.warnings = [...opened.warnings];
    this.#store.setSnapshotSource(() => this.#snapshotState());
    return replay;
  }

  #snapshotState(): SnapshotState {
    const since = this.#store.options.now() - this.#windowMs;
    for (const [id, call] of this.#counted) if (call.at <= since) this.#counted.delete(id);
    return {
      since: Number.isFinite(since) ? since : Number.MIN_SAFE_INTEGER,
      counted: [...this.#counted].map(([id, call]) => [id, call.at, call.keys]),
      perDay: [...this.#perDay],
    };
  }

  /**
   * Writes a call's decision. Throws when it cannot be written whole (or the log is at its disk bound): the
   * caller must not forward. A refused call's arguments are kept up to 8 KB of JSON, with the SHA-256 and
   * size of the whole.
   */
  decision(record: CallRecord, counterKeys: readonly string[], rawArgs?: string): CallRecord {
    // The arguments as the client sent them, when the caller has their text (exact, and not made again);
    // JSON text holds line breaks only between tokens, so they become spaces and the record stays one line.
    const argsText = rawArgs !== undefined ? oneLine(rawArgs) : (JSON.stringify(record.args) ?? "{}");
    const cap = this.#store.options.refusedArgsChars;
    const refused = record.status === "denied" || record.status === "rate-limited";
    const line: DecisionLine =
      refused && argsText.length > cap
        ? {
            t: "decision",
            ...record,
            args: { "…": cutOwn(argsText, cap) },
            argsTruncated: true,
            argsSha256: createHash("sha256").update(argsText).digest("hex"),
            argsBytes: Buffer.byteLength(argsText),
            counterKeys: [...counterKeys],
          }
        : { t: "decision", ...record, counterKeys: [...counterKeys] };
    this.#store.append(
      lineText(line, line.args === record.args ? argsText : undefined),
      "decision",
      record.ts,
    );
    if (counterKeys.length)
      this.#counted.set(record.id, { keys: this.#sharedKeys(counterKeys), at: record.ts });
    this.#countDay(record.ts);
    return this.#remember({ ...record }, argsText);
  }

  /** Writes what became of a call. Throws when the audit file cannot be written. */
  outcome(line: Omit<OutcomeLine, "t">): CallRecord | undefined {
    const entry: OutcomeLine = { t: "outcome", ...line };
    this.#store.append(JSON.stringify(entry), "other", entry.ts);
    if (entry.released) this.#counted.delete(entry.id);
    return this.#apply(entry);
  }

  /** Records an act of the user's on the warden itself (Deny-all by a signal), with how it came. */
  control(line: { ts: number; action: string; on?: boolean; via: string }): void {
    this.#store.append(JSON.stringify({ t: "control", ...line }), "other", line.ts);
  }

  /** Writes a team event. Throws when the audit file cannot be written. */
  note(line: Omit<TeamLine, "t">): void {
    this.#store.append(JSON.stringify({ t: "team", ...line }), "other", line.ts);
  }

  /** The newest calls first, at most `limit` (and at most the ring's size). */
  recent(limit = 500): CallRecord[] {
    return this.#ring.slice(-Math.min(limit, this.#ringSize)).reverse();
  }

  /**
   * How many calls in the ring since `since` match: newest first, stopping at the first older one, so
   * the cost is the calls of that span (at most the ring's size).
   */
  countSince(since: number, match: (record: CallRecord) => boolean): number {
    let n = 0;
    for (let i = this.#ring.length - 1; i >= 0; i--) {
      const record = this.#ring[i] as CallRecord;
      if (record.ts < since) break;
      if (match(record)) n++;
    }
    return n;
  }

  /**
   * Keeps a call's result beside it in the ring: each cut at 64 KB of JSON, and all of them together at
   * 16 MB (the oldest results go first), so results cannot grow the warden's memory without bound.
   */
  setResult(id: string, result: unknown, resultText?: string): void {
    if (!this.#byId.has(id)) return;
    const text = resultText ?? JSON.stringify(result) ?? "null";
    const size = Math.min(text.length, MAX_RESULT_CHARS);
    const value =
      text.length <= MAX_RESULT_CHARS ? result : { truncated: true, preview: cutOwn(text, MAX_RESULT_CHARS) };
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
   * else read backwards from the audit files, the active one then the rotated ones (outcomes applied), so
   * the whole history kept on disk can be paged through; an empty page means its start (`historyStart()`
   * says whether older records were removed). Rotated files whose records are all newer than the cursor
   * are not read.
   */
  async olderThan(before: { id: string; ts: number }, limit: number): Promise<CallRecord[]> {
    const at = this.#ring.findIndex((r) => r.id === before.id);
    if (at >= limit) return this.#ring.slice(at - limit, at).reverse();
    const out: CallRecord[] = [];
    const outcomes = new Map<string, OutcomeLine[]>();
    let passed = false;
    for await (const line of this.#store.linesBackward((segment) => segment.fromTs > before.ts)) {
      const parsed = parseLine(line.text);
      if (parsed.kind === "outcome") {
        const list = outcomes.get(parsed.entry.id) ?? [];
        list.unshift(parsed.entry);
        outcomes.set(parsed.entry.id, list);
        continue;
      }
      if (parsed.kind !== "decision") continue;
      const entry = parsed.entry;
      if (entry.id === before.id) {
        passed = true;
        continue;
      }
      if (entry.ts > before.ts || (entry.ts === before.ts && !passed)) {
        outcomes.delete(entry.id);
        continue;
      }
      const record = recordOf(entry);
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
    return this.#perDay.get(dayOf(now)) ?? 0;
  }

  /** How much disk the audit files use against their bound; `nearFull` is when the UI should warn. */
  diskUsage(): DiskUsage {
    return this.#store.diskUsage();
  }

  /** Where the history kept on disk begins (for the UI's "start of the log"), and whether older was removed. */
  historyStart(): Promise<HistoryStart> {
    return this.#store.historyStart();
  }

  /** Warnings about the log since it was opened (a snapshot ignored, compression that failed). */
  get warnings(): readonly string[] {
    return this.#store.warnings;
  }

  /** Resolves when background upkeep (compression of rotated files, retention) has finished. */
  settled(): Promise<void> {
    return this.#store.settled();
  }

  /**
   * The counter keys as one list shared by every counted call with the same keys: a day of counted calls
   * (a day's limit window) then holds a reference each, not a copy of the list and its strings.
   */
  #sharedKeys(keys: readonly string[]): string[] {
    const name = keys.join("\n");
    const known = this.#keyLists.get(name);
    if (known) return known;
    if (this.#keyLists.size >= MAX_SHARED_KEY_LISTS) this.#keyLists.clear();
    const list = [...keys];
    this.#keyLists.set(name, list);
    return list;
  }

  #countDay(ts: number): void {
    if (ts < this.#dayStart || ts >= this.#dayStart + 86_400_000) this.#dayStart = dayOf(ts);
    this.#perDay.set(this.#dayStart, (this.#perDay.get(this.#dayStart) ?? 0) + 1);
    if (this.#perDay.size > 3) this.#perDay.delete(Math.min(...this.#perDay.keys()));
  }

  /** Keeps a call in the ring, its arguments cut to 8 KB of JSON. */
  #remember(full: CallRecord, argsText = JSON.stringify(full.args) ?? "{}"): CallRecord {
    const record: CallRecord =
      argsText.length <= MAX_ARGS_CHARS
        ? full
        : { ...full, args: { "…": cutOwn(argsText, MAX_ARGS_CHARS) }, argsTruncated: true };
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
    return record;
  }

  #apply(entry: OutcomeLine): CallRecord | undefined {
    const record = this.#byId.get(entry.id);
    if (record) applyOutcome(record, entry);
    return record;
  }

  /** Writes a last checkpoint and snapshot, and closes the file. */
  close(): void {
    this.#store.close();
  }
}

/** JSON text on one line: its line breaks (only ever between tokens) become spaces. */
function oneLine(json: string): string {
  // Looking first is a fast scan; the replacement walks and copies the whole text.
  return json.includes("\n") || json.includes("\r") ? json.replace(/[\r\n]+/g, " ") : json;
}

/**
 * A decision line's JSON; the arguments' JSON, when already made, goes in as it is instead of being made
 * again (for large arguments the second JSON.stringify was most of the line's cost). `"args":null` cannot
 * occur inside a JSON string (its quotes would be escaped), so the first one is the member itself.
 */
function lineText(line: DecisionLine, argsText: string | undefined): string {
  if (argsText === undefined) return JSON.stringify(line);
  return JSON.stringify({ ...line, args: null }).replace('"args":null', () => `"args":${argsText}`);
}
