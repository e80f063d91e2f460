/**
 * The files of one audit log, all in the folder of the active file (`audit.jsonl`):
 * - rotated files `audit.<last seq, 12 digits>.<first ts>-<last ts>.jsonl`, gzip-compressed to `….jsonl.gz`
 *   once a newer one exists (the newest stays plain, so refilling the ring after a rotation is cheap);
 * - `audit.key` (the HMAC key), `audit.head` (the last checkpoint, signed), `audit.snapshot` (the counters);
 * - `audit.torn-<ts>` (bytes of a torn last record, cut off on start and kept).
 */
import {
  createReadStream,
  createWriteStream,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { mac, macMatches } from "./chain.js";

/** Paths of the files of the log whose active file is `active`. */
export interface AuditPaths {
  dir: string;
  /** The name the other files start with: `audit` for `audit.jsonl`. */
  base: string;
  active: string;
  key: string;
  head: string;
  snapshot: string;
}

/** The paths of the log whose active file is `active`. */
export function auditPaths(active: string): AuditPaths {
  const dir = dirname(active);
  const name = basename(active);
  const base = name.endsWith(".jsonl") ? name.slice(0, -".jsonl".length) : name;
  return {
    dir,
    base,
    active,
    key: join(dir, `${base}.key`),
    head: join(dir, `${base}.head`),
    snapshot: join(dir, `${base}.snapshot`),
  };
}

/** A rotated file. */
export interface Segment {
  name: string;
  path: string;
  /** The sequence number of its last line (its closing checkpoint). */
  lastSeq: number;
  /** The first and the last record time in it (epoch ms). */
  fromTs: number;
  toTs: number;
  compressed: boolean;
  bytes: number;
  /** When it was last written (kept through compression): retention goes by this. */
  mtimeMs: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function segmentPattern(base: string): RegExp {
  return new RegExp(`^${escapeRegExp(base)}\\.(\\d{12,})\\.(\\d+)-(\\d+)\\.jsonl(\\.gz)?$`);
}

/** The name of a rotated file, uncompressed. */
export function segmentName(base: string, lastSeq: number, fromTs: number, toTs: number): string {
  const ts = (n: number) => String(Math.max(0, Math.floor(n)));
  return `${base}.${String(lastSeq).padStart(12, "0")}.${ts(fromTs)}-${ts(Math.max(fromTs, toTs))}.jsonl`;
}

/** The same file's name with or without `.gz`, for comparing names across compression. */
export function plainName(name: string): string {
  return name.endsWith(".gz") ? name.slice(0, -3) : name;
}

/** Whether `name` is a file of this log (active, rotated, key, head, snapshot, torn or temporary). */
export function isLogFile(paths: AuditPaths, name: string): boolean {
  return name === basename(paths.active) || name.startsWith(`${paths.base}.`);
}

/** The rotated files, oldest first; a file both plain and compressed (a crash mid-compression) counts once. */
export function listSegments(paths: AuditPaths): Segment[] {
  const pattern = segmentPattern(paths.base);
  const byName = new Map<string, Segment>();
  let names: string[];
  try {
    names = readdirSync(paths.dir);
  } catch {
    return [];
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const path = join(paths.dir, name);
    let bytes: number;
    let mtimeMs: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) continue;
      bytes = stat.size;
      mtimeMs = stat.mtimeMs;
    } catch {
      continue;
    }
    const segment: Segment = {
      name,
      path,
      lastSeq: Number(m[1]),
      fromTs: Number(m[2]),
      toTs: Number(m[3]),
      compressed: m[4] === ".gz",
      bytes,
      mtimeMs,
    };
    const key = plainName(name);
    const other = byName.get(key);
    // The compressed copy is renamed into place only once it is whole, so it wins over the plain one.
    if (!other || segment.compressed) byName.set(key, segment);
  }
  return [...byName.values()].sort((a, b) => a.lastSeq - b.lastSeq || a.name.localeCompare(b.name));
}

/** Removes what a crash can leave behind: half-written compressed copies, plain files already compressed. */
export function removeLeftovers(paths: AuditPaths): void {
  let names: string[];
  try {
    names = readdirSync(paths.dir);
  } catch {
    return;
  }
  const pattern = segmentPattern(paths.base);
  const set = new Set(names);
  for (const name of names) {
    const temporary = name.startsWith(`${paths.base}.`) && name.endsWith(".tmp");
    const compressedToo = pattern.test(name) && !name.endsWith(".gz") && set.has(`${name}.gz`);
    if (temporary || compressedToo) rmSync(join(paths.dir, name), { force: true });
  }
}

/** Compresses a plain rotated file to `….jsonl.gz` (written aside, then renamed), then removes the plain one. */
export async function compressSegment(segment: Segment): Promise<void> {
  if (segment.compressed) return;
  const target = `${segment.path}.gz`;
  const temporary = `${target}.tmp`;
  try {
    // Large chunks: compression runs on the thread pool, but each chunk costs the proxy's thread a turn.
    await pipeline(
      createReadStream(segment.path, { highWaterMark: 1 << 20 }),
      createGzip({ level: 6, chunkSize: 1 << 18 }),
      createWriteStream(temporary, { mode: 0o600 }),
    );
    const { atime, mtime } = statSync(segment.path);
    utimesSync(temporary, atime, mtime);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  rmSync(segment.path, { force: true });
}

/** Bytes used by every file of this log in its folder. */
export function logBytes(paths: AuditPaths): { bytes: number; files: number } {
  let names: string[];
  try {
    names = readdirSync(paths.dir);
  } catch {
    return { bytes: 0, files: 0 };
  }
  let bytes = 0;
  let files = 0;
  for (const name of names) {
    if (!isLogFile(paths, name)) continue;
    try {
      const stat = statSync(join(paths.dir, name));
      if (!stat.isFile()) continue;
      bytes += stat.size;
      files++;
    } catch {
      // Removed while we looked: it uses nothing.
    }
  }
  return { bytes, files };
}

/** The side file that keeps the bytes of a torn last record. */
export function tornPath(paths: AuditPaths, now: number): string {
  return join(paths.dir, `${paths.base}.torn-${new Date(now).toISOString().replace(/[:.]/g, "-")}`);
}

/** Writes `body` with its MAC for `purpose` (first line: the MAC, second: the body), atomically, user-only. */
export function writeSigned(path: string, key: Buffer, purpose: string, body: string): void {
  const temporary = `${path}.tmp`;
  try {
    writeFileSync(temporary, `${mac(key, purpose, body)}\n${body}\n`, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** A signed file's body: undefined when missing, "forged" when its MAC does not match. */
export function readSigned(path: string, key: Buffer, purpose: string): string | "forged" | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const nl = text.indexOf("\n");
  const body = text.slice(nl + 1).replace(/\n$/, "");
  return nl > 0 && macMatches(key, purpose, body, text.slice(0, nl)) ? body : "forged";
}
