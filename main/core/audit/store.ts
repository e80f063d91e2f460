/**
 * The audit log's files as one chained log: appends go to the active file, which is rotated by size and
 * age (the chain continues: a new file's first line links to the last line of the one before); rotated
 * files are compressed and deleted after the retention time; all of them together stay under a disk bound;
 * a torn last record is cut off on open and kept aside; a signed snapshot of the caller's state lets
 * start-up read only the tail written after it.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { chainFields, checkpointText, GENESIS, keyId, lineHash, loadAuditKey, mac } from "./chain.js";
import {
  type AuditPaths,
  auditPaths,
  compressSegment,
  listSegments,
  logBytes,
  plainName,
  readSigned,
  removeLeftovers,
  type Segment,
  segmentName,
  tornPath,
  writeSigned,
} from "./files.js";
import { type BackwardLine, lastLine, linesBackward, linesForward, readRange } from "./lines.js";
import { type AuditOptions, auditOptions } from "./options.js";
import { AuditWriteError, AuditWriter, type ChainHead } from "./writer.js";

/** The log reached its disk bound: the caller must not forward. */
export class AuditFullError extends AuditWriteError {
  override readonly name: string = "AuditFullError";
}

/** What a line is for: decisions are refused first when the disk bound nears; the rest may use a reserve. */
export type LineKind = "decision" | "other";

/** A line read back, with the file it came from (undefined: the active file). */
export interface StoredLine extends BackwardLine {
  segment?: Segment;
}

/** A snapshot of the caller's state, valid for the log up to `offset` of the active file. */
export interface Snapshot<S> {
  state: S;
  offset: number;
  seq: number;
}

/** What opening the log found. */
export interface OpenReport {
  /** A torn last record was cut off: how many bytes, and the side file that keeps them. */
  repaired?: { bytes: number; savedTo: string };
  /** Things the user should know (a snapshot that did not match, a compression that failed). */
  warnings: string[];
}

/** How much disk the log uses, against its bound. */
export interface DiskUsage {
  bytes: number;
  limit: number;
  /** At or past the share of the bound at which the UI warns (80% by default). */
  nearFull: boolean;
  /** New calls are refused: the bound is reached. */
  full: boolean;
  files: number;
  /** Bytes free (for this user) on the log's disk; undefined when the system cannot say. */
  freeBytes?: number;
  /** The disk has less free space than `minFreeBytes`. */
  lowDisk: boolean;
  /** The free space below which `lowDisk` turns on. */
  minFreeBytes: number;
}

/** Where the history on disk begins. */
export interface HistoryStart {
  /** The time of the oldest record kept, if any. */
  ts?: number;
  /** Whether the oldest record kept is the log's first ever (nothing was removed before it). */
  complete: boolean;
  note: string;
}

const TS_FIELD = /"ts":(-?\d+)/;

function tsOf(bytes: Buffer): number | undefined {
  const m = TS_FIELD.exec(bytes.subarray(0, 4_096).toString("utf8"));
  return m ? Number(m[1]) : undefined;
}

function parses(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function kindOf(bytes: Buffer): string | undefined {
  return /"t":"([a-z-]+)"/.exec(bytes.subarray(0, 4_096).toString("utf8"))?.[1];
}

function headOf(bytes: Buffer): ChainHead {
  let seq = 0;
  try {
    seq = chainFields(JSON.parse(bytes.toString("utf8")))?.seq ?? 0;
  } catch {
    // An unreadable line still links: the next line carries its hash.
  }
  return { seq, hash: lineHash(bytes) };
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`; undefined when unknown. */
function freeSpace(dir: string): number | undefined {
  try {
    const { bavail, bsize } = statfsSync(dir);
    return bavail * bsize;
  } catch {
    return undefined;
  }
}

/** Human size: "1.0 GiB", "512 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The audit log's files. */
export class AuditStore {
  readonly paths: AuditPaths;
  readonly #options: AuditOptions;
  readonly #writer: AuditWriter;
  #key: Buffer | undefined;
  #keyId = "";
  #fd: number | undefined;
  /** A regular file (not /dev/full or a pipe): only then is it repaired, rotated and snapshotted. */
  #regular = true;
  /** When the active file was started, by this store's clock (its age decides rotation). */
  #startedAt = 0;
  /** The first and the last record time in the active file (they name it when it is rotated). */
  #firstTs: number | undefined;
  #lastTs: number | undefined;
  /** The active file holds records (not only the line that links it to the file before). */
  #hasRecords = false;
  #sinceCheckpoint = 0;
  #sinceSnapshot = 0;
  #lastSnapshotBytes = 0;
  #usage = 0;
  #files = 0;
  #rotateBlockedUntil = 0;
  /** The last checkpoint, until the head file names it; when the head file was last written. */
  #pendingHead: { seq: number; hash: string; ts: number } | undefined;
  #headWrittenAt = 0;
  /** Signs what was written within a second of it, so a quiet log does not stay unsigned until close. */
  #signSoon: NodeJS.Timeout | undefined;
  /** A decision was refused for the bound, and no room was made since. */
  #refusing = false;
  #background: Promise<void> = Promise.resolve();
  #snapshotSource: (() => unknown) | undefined;
  #closed = false;
  readonly #warnings: string[] = [];

  constructor(path: string, options: Partial<AuditOptions> = {}) {
    this.paths = auditPaths(path);
    this.#options = auditOptions(options);
    this.#writer = new AuditWriter(this.#options.io);
  }

  get options(): AuditOptions {
    return this.#options;
  }

  /** The key, once open (verify and tests read it through here). */
  get key(): Buffer | undefined {
    return this.#key;
  }

  get head(): ChainHead {
    return this.#writer.head;
  }

  /** Bytes of whole lines in the active file. */
  get size(): number {
    return this.#writer.size;
  }

  /** Loads or creates the key, repairs a torn tail, finds the chain's head and opens the active file. */
  async open(): Promise<OpenReport> {
    const report: OpenReport = { warnings: this.#warnings };
    this.#closed = false;
    this.#key = loadAuditKey(this.paths.key);
    this.#keyId = keyId(this.#key);
    removeLeftovers(this.paths);
    let existing: ReturnType<typeof statSync> | undefined;
    try {
      existing = statSync(this.paths.active);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    this.#regular = !existing || existing.isFile();
    if (existing?.isFile()) {
      const repaired = this.#repairTail();
      if (repaired) report.repaired = repaired;
    }
    const fd = openSync(this.paths.active, "a+", 0o600);
    this.#fd = fd;
    const size = this.#regular ? fstatSync(fd).size : 0;
    let head: ChainHead = { seq: 0, hash: GENESIS };
    const now = this.#options.now();
    this.#startedAt = now;
    this.#firstTs = undefined;
    this.#lastTs = undefined;
    this.#hasRecords = false;
    const last = size > 0 ? lastLine(fd, size) : undefined;
    if (last) {
      head = headOf(last.bytes);
      this.#lastTs = tsOf(last.bytes);
      this.#hasRecords = kindOf(last.bytes) !== "segment";
      // The first line links the file to the one before and says when it was started; the next is a record.
      const [first, second] = readRange(fd, 0, Math.min(size, 1 << 16))
        .toString("utf8")
        .split("\n", 2)
        .map((l) => Buffer.from(l));
      if (first && kindOf(first) === "segment") {
        this.#startedAt = tsOf(first) ?? now;
        this.#firstTs = second ? tsOf(second) : undefined;
      } else if (first) this.#firstTs = tsOf(first);
    } else if (this.#regular) {
      head = (await this.#newestSegmentHead()) ?? head;
    }
    this.#writer.attach(fd, size, head, this.#regular);
    this.#recount();
    if (this.#regular) this.#inBackground(() => this.#compressAndRetain());
    return report;
  }

  /** Cuts a torn last record (no newline, or not JSON) off the active file, keeping its bytes aside. */
  #repairTail(): OpenReport["repaired"] {
    const fd = openSync(this.paths.active, "r+");
    try {
      const size = fstatSync(fd).size;
      const last = size > 0 ? lastLine(fd, size) : undefined;
      if (!last || (last.terminated && parses(last.bytes))) return undefined;
      const savedTo = tornPath(this.paths, this.#options.now());
      const side = openSync(savedTo, "wx", 0o600);
      try {
        const chunk = Buffer.allocUnsafe(1 << 20);
        for (let at = last.start; at < size; ) {
          const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
          if (n === 0) break;
          writeSync(side, chunk, 0, n);
          at += n;
        }
      } finally {
        closeSync(side);
      }
      ftruncateSync(fd, last.start);
      return { bytes: size - last.start, savedTo };
    } finally {
      closeSync(fd);
    }
  }

  /** The head of the newest rotated file: what an empty active file continues (after a rotation crash). */
  async #newestSegmentHead(): Promise<ChainHead | undefined> {
    const newest = listSegments(this.paths).at(-1);
    if (!newest) return undefined;
    for await (const line of linesBackward(newest.path, newest.compressed)) {
      return headOf(Buffer.from(line.text, "utf8"));
    }
    return undefined;
  }

  /** Sets what the snapshot holds (the caller's counters), read whenever a snapshot is written. */
  setSnapshotSource(source: () => unknown): void {
    this.#snapshotSource = source;
  }

  /** The reserve kept for lines other than decisions (outcomes of calls already forwarded, checkpoints). */
  #reserve(): number {
    const max = this.#options.maxBytes;
    return Math.floor(Math.min(8 << 20, max / 4, Math.max(16 << 10, max / 100)));
  }

  /**
   * Appends one line (a JSON object's text) to the chain. Throws when it is not written whole, when the log
   * is not open, or when the disk bound leaves no room (decisions are refused before the reserve is touched).
   */
  append(body: string, kind: LineKind = "other", ts?: number): number {
    if (!this.#writer.isOpen) throw new Error("the audit log is not open");
    const now = this.#options.now();
    // Characters, not bytes: close enough to decide rotation and the bound, and cheaper to know.
    const estimate = body.length + 100;
    if (this.#regular && this.#writer.size === 0) this.#startFile(now, listSegments(this.paths).at(-1)?.name);
    else if (this.#regular) this.#maybeRotate(now, estimate);
    this.#makeRoom(estimate, kind);
    const { bytes } = this.#writer.append(body);
    this.#wrote(bytes);
    this.#hasRecords = true;
    if (ts !== undefined) {
      this.#firstTs ??= ts;
      if (this.#lastTs === undefined || ts > this.#lastTs) this.#lastTs = ts;
    }
    if (this.#sinceCheckpoint >= this.#options.checkpointEvery) this.#quietly(() => this.checkpoint());
    if (!this.#signSoon && this.#regular) {
      this.#signSoon = setTimeout(() => {
        this.#signSoon = undefined;
        if (!this.#writer.isOpen) return;
        this.#quietly(() => this.checkpoint(true));
        this.#quietly(() => this.#writeHead());
      }, 1_000);
      this.#signSoon.unref();
    }
    if (this.#sinceSnapshot >= Math.max(this.#options.snapshotEveryBytes, this.#lastSnapshotBytes))
      this.#quietly(() => this.writeSnapshot());
    return bytes;
  }

  #wrote(bytes: number): void {
    this.#usage += bytes;
    this.#sinceSnapshot += bytes;
    this.#sinceCheckpoint++;
  }

  /**
   * Starts the (empty) active file with the line that links it to the rotated file before it (if any) and
   * records when it was started.
   */
  #startFile(now: number, previous: string | undefined): void {
    this.#appendOther(JSON.stringify({ t: "segment", ts: now, previous: previous ?? null }));
    this.#startedAt = now;
    this.#firstTs = undefined;
    this.#lastTs = undefined;
    this.#hasRecords = false;
  }

  #quietly(action: () => void): void {
    try {
      action();
    } catch {
      // A checkpoint or snapshot that cannot be written now is written at the next chance; the record is safe.
    }
  }

  /** Throws when `bytes` more would pass the bound (deleting the oldest files first, if so configured). */
  #makeRoom(bytes: number, kind: LineKind): void {
    const limit = this.#options.maxBytes - (kind === "decision" ? this.#reserve() : 0);
    if (this.#usage + bytes <= limit) return;
    if (this.#options.whenFull === "drop-oldest") {
      this.#retain(this.#options.now(), limit - bytes);
      if (this.#usage + bytes <= limit) return;
    }
    if (kind === "decision") this.#refusing = true;
    throw new AuditFullError(
      `the audit log has reached its disk bound (${formatBytes(this.#usage)} of ${formatBytes(this.#options.maxBytes)} in ${this.paths.dir}); nothing is forwarded until there is room: move old ${this.paths.base}.*.jsonl.gz files elsewhere, or raise the bound`,
    );
  }

  /**
   * Writes a signed checkpoint if anything was written since the last one, and the signed head file (at
   * most once a second unless `final`: on rotation and close), which lets verify see records cut off the end.
   */
  checkpoint(final = false): void {
    const key = this.#key;
    if (!key || !this.#writer.isOpen || this.#sinceCheckpoint === 0) return;
    const ts = this.#options.now();
    const { seq, hash } = this.#writer.head;
    const body = JSON.stringify({
      t: "checkpoint",
      ts,
      key: this.#keyId,
      mac: mac(key, "checkpoint", checkpointText(seq + 1, hash, ts)),
    });
    const head = this.#appendOther(body);
    this.#sinceCheckpoint = 0;
    this.#pendingHead = { seq: head.seq, hash: head.hash, ts };
    if (final || ts - this.#headWrittenAt >= 1_000) this.#writeHead();
  }

  /** Writes the signed head file naming the last checkpoint. */
  #writeHead(): void {
    const key = this.#key;
    const head = this.#pendingHead;
    if (!key || !head || !this.#regular) return;
    this.#headWrittenAt = head.ts;
    writeSigned(
      this.paths.head,
      key,
      "head",
      JSON.stringify({ seq: head.seq, hash: head.hash, ts: head.ts, key: this.#keyId }),
    );
    this.#pendingHead = undefined;
  }

  #maybeRotate(now: number, estimate: number): void {
    if (!this.#hasRecords || now < this.#rotateBlockedUntil) return;
    const bySize = this.#writer.size + estimate > this.#options.maxFileBytes;
    const byAge = now - this.#startedAt >= this.#options.rotateAfterMs;
    if (bySize || byAge) this.#rotate(now);
  }

  /**
   * Closes the active file with a checkpoint, renames it to a rotated file, and starts a new one whose first
   * line links to it. If the rename fails, writing goes on in the same file and rotation is retried later.
   */
  #rotate(now: number): void {
    try {
      this.checkpoint(true);
    } catch {
      this.#rotateBlockedUntil = now + 60_000;
      return;
    }
    const head = this.#writer.head;
    const size = this.#writer.size;
    const from = this.#firstTs ?? this.#startedAt;
    const name = segmentName(this.paths.base, head.seq, from, this.#lastTs ?? from);
    const fd = this.#writer.detach();
    if (fd !== undefined) closeSync(fd);
    try {
      renameSync(this.paths.active, join(this.paths.dir, name));
    } catch (error) {
      this.#warnings.push(`could not rotate the audit log: ${errorText(error)}`);
      this.#rotateBlockedUntil = now + 60_000;
      this.#fd = openSync(this.paths.active, "a+", 0o600);
      this.#writer.attach(this.#fd, size, head, true);
      return;
    }
    this.#fd = openSync(this.paths.active, "a+", 0o600);
    this.#writer.attach(this.#fd, 0, head, true);
    this.#startFile(now, name);
    this.#quietly(() => this.#retain(now));
    this.#quietly(() => this.writeSnapshot());
    this.#inBackground(() => this.#compressAndRetain());
  }

  #inBackground(task: () => Promise<void>): void {
    this.#background = this.#background.then(task).catch((error: unknown) => {
      if (!this.#closed) this.#warnings.push(`audit log upkeep failed: ${errorText(error)}`);
    });
  }

  /** Compresses every rotated file but the newest, then deletes the ones past retention. */
  async #compressAndRetain(): Promise<void> {
    const plain = listSegments(this.paths)
      .slice(0, -1)
      .filter((s) => !s.compressed);
    for (const segment of plain) await compressSegment(segment);
    this.#recount();
    if (!this.#closed && this.#writer.isOpen) this.#retain(this.#options.now());
  }

  /**
   * Deletes rotated files whose newest record is past retention, and, when `targetBytes` is given (the
   * "drop-oldest" bound), the oldest ones until the log fits. The deletion is recorded in the log first, so
   * verify can tell it from files deleted behind the warden's back; if that record cannot be written,
   * nothing is deleted.
   */
  #retain(now: number, targetBytes?: number): void {
    const removed: Segment[] = [];
    const why: string[] = [];
    let usage = this.#usage;
    for (const segment of listSegments(this.paths)) {
      const old = segment.mtimeMs < now - this.#options.keepMs;
      const over = targetBytes !== undefined && usage > targetBytes;
      if (!old && !over) break;
      usage -= segment.bytes;
      removed.push(segment);
      const reason = old
        ? `older than ${Math.round(this.#options.keepMs / 86_400_000)} days`
        : `the log reached its ${formatBytes(this.#options.maxBytes)} bound`;
      if (!why.includes(reason)) why.push(reason);
    }
    if (!removed.length) return;
    this.#appendOther(
      JSON.stringify({
        t: "retention",
        ts: now,
        removed: removed.map((s) => plainName(s.name)),
        throughSeq: Math.max(...removed.map((s) => s.lastSeq)),
        why: why.join("; "),
      }),
    );
    for (const segment of removed) rmSync(segment.path, { force: true });
    this.#recount();
  }

  /** Appends a line of the log's own (checkpoint, link, retention), which may use the reserve. */
  #appendOther(body: string): ChainHead {
    this.#makeRoom(body.length + 100, "other");
    const { bytes, head } = this.#writer.append(body);
    this.#wrote(bytes);
    return head;
  }

  #recount(): void {
    const { bytes, files } = logBytes(this.paths);
    if (bytes < this.#usage) this.#refusing = false;
    this.#usage = bytes;
    this.#files = files;
  }

  /** Writes the snapshot of the caller's state at the current end of the active file. */
  writeSnapshot(): void {
    const key = this.#key;
    if (!key || !this.#regular || !this.#writer.isOpen || !this.#snapshotSource) return;
    const { seq, hash } = this.#writer.head;
    const body = JSON.stringify({
      v: 1,
      seq,
      hash,
      offset: this.#writer.size,
      ts: this.#options.now(),
      state: this.#snapshotSource(),
    });
    writeSigned(this.paths.snapshot, key, "snapshot", body);
    this.#lastSnapshotBytes = body.length;
    this.#sinceSnapshot = 0;
    this.#recount();
  }

  /**
   * The snapshot, if it is signed by this log's key and still describes the active file (the line before
   * its offset is the line it names); undefined otherwise, with a warning saying why.
   */
  readSnapshot(): Snapshot<unknown> | undefined {
    const key = this.#key;
    const fd = this.#fd;
    if (!key || fd === undefined || !this.#regular) return undefined;
    const body = readSigned(this.paths.snapshot, key, "snapshot");
    if (body === undefined) return undefined;
    if (body === "forged") {
      this.#warnings.push(`${this.paths.snapshot} is not signed by this log's key: ignored`);
      return undefined;
    }
    let parsed: { seq?: unknown; hash?: unknown; offset?: unknown; state?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return undefined;
    }
    const { seq, hash, offset, state } = parsed;
    if (typeof seq !== "number" || typeof hash !== "string" || typeof offset !== "number") return undefined;
    if (offset <= 0 || offset > this.#writer.size) return undefined;
    if (readRange(fd, offset - 1, offset)[0] !== 0x0a) return undefined;
    const line = lastLine(fd, offset);
    if (!line || lineHash(line.bytes) !== hash) return undefined;
    return { state, offset, seq };
  }

  /**
   * Every line, newest first: the active file, then the rotated files from the newest. `skip` leaves out
   * rotated files (olderThan skips those whose records are all newer than its cursor).
   */
  async *linesBackward(skip?: (segment: Segment) => boolean): AsyncGenerator<StoredLine> {
    // Listed first: a rotation while the active file is read renames it, and its lines must not come twice.
    const segments = listSegments(this.paths).reverse();
    if (this.#regular) {
      for await (const line of linesBackward(this.paths.active, false, this.#writer.size)) yield line;
    }
    for (const listed of segments) {
      if (skip?.(listed)) continue;
      // Compression may have replaced the plain file since the listing.
      const segment =
        listed.compressed || existsSync(listed.path)
          ? listed
          : { ...listed, path: `${listed.path}.gz`, name: `${listed.name}.gz`, compressed: true };
      if (!existsSync(segment.path)) continue;
      for await (const line of linesBackward(segment.path, segment.compressed)) yield { ...line, segment };
    }
  }

  /** How much disk the log uses against its bound. */
  diskUsage(): DiskUsage {
    const limit = this.#options.maxBytes;
    const freeBytes = freeSpace(this.paths.dir);
    const { minFreeBytes } = this.#options;
    return {
      bytes: this.#usage,
      limit,
      nearFull: this.#usage >= limit * this.#options.nearFullRatio,
      full: this.#refusing || this.#usage >= limit - this.#reserve(),
      files: this.#files,
      ...(freeBytes !== undefined ? { freeBytes } : {}),
      lowDisk: freeBytes !== undefined && freeBytes < minFreeBytes,
      minFreeBytes,
    };
  }

  /** Where the history kept on disk begins, and whether older records were removed. */
  async historyStart(): Promise<HistoryStart> {
    const oldest = listSegments(this.paths)[0];
    // Only regular files are read: a device in the log's place (/dev/full) would never end.
    const path = oldest?.path ?? (this.#regular ? this.paths.active : undefined);
    let first: Buffer | undefined;
    try {
      for await (const line of path ? linesForward(path, oldest?.compressed ?? false) : []) {
        if (line.bytes.length) {
          first = line.bytes;
          break;
        }
      }
    } catch {
      first = undefined;
    }
    if (!first) return { complete: true, note: "the audit log is empty" };
    const ts = tsOf(first);
    let prev: string | undefined;
    try {
      prev = chainFields(JSON.parse(first.toString("utf8")))?.prev;
    } catch {
      prev = undefined;
    }
    const complete = prev === undefined || prev === GENESIS;
    return {
      ...(ts !== undefined ? { ts } : {}),
      complete,
      note: complete
        ? "this is the start of the audit log"
        : `older records were removed (rotated files are kept ${Math.round(this.#options.keepMs / 86_400_000)} days, within ${formatBytes(this.#options.maxBytes)})`,
    };
  }

  /** Warnings collected since open (a snapshot ignored, upkeep that failed). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Resolves once background upkeep (compression, retention) started so far has finished. */
  async settled(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.#background) {
      seen = this.#background;
      await seen;
    }
  }

  /** Writes a last checkpoint and snapshot, and closes the active file. */
  close(): void {
    clearTimeout(this.#signSoon);
    this.#signSoon = undefined;
    if (this.#writer.isOpen) {
      this.#quietly(() => this.checkpoint(true));
      this.#quietly(() => this.#writeHead());
      this.#quietly(() => this.writeSnapshot());
    }
    this.#closed = true;
    const fd = this.#writer.detach();
    if (fd !== undefined) closeSync(fd);
    this.#fd = undefined;
  }
}
