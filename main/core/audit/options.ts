/**
 * How the audit log is kept: how large and how old the active file may grow before it is rotated, how long
 * rotated files are kept, how much disk all of them may use, and what happens when that bound is reached.
 */
import { ftruncateSync, writeSync } from "node:fs";
import { DURATION_PATTERN, durationMs } from "../../../shared/durations.js";
import type { SettingsStore } from "../config/settings.js";

/** The two system calls a record's write depends on; tests pass shims that fail or write short. */
export interface AuditIo {
  /** Writes `length` bytes of `buffer` from `offset` at the end of the file; returns how many were written. */
  write(fd: number, buffer: Buffer, offset: number, length: number): number;
  /** Cuts the file back to `length` bytes. */
  truncate(fd: number, length: number): void;
}

/** The real system calls. */
export const NODE_IO: AuditIo = {
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  truncate: (fd, length) => ftruncateSync(fd, length),
};

/** What the log does when its files reach `maxBytes`. */
export type WhenFull = "refuse" | "drop-oldest";

/** How the audit log is kept. */
export interface AuditOptions {
  /** Bytes all audit files together may use on disk (active, rotated, snapshot, key). */
  maxBytes: number;
  /** The active file is rotated before it grows past this. */
  maxFileBytes: number;
  /** The active file is rotated once its first record is this old. */
  rotateAfterMs: number;
  /** Rotated files whose newest record is older than this are deleted. */
  keepMs: number;
  /**
   * At `maxBytes`: "refuse" (the default: new calls are refused, saying why, until room is made; outcomes of
   * calls already forwarded still have a reserve) or "drop-oldest" (the oldest rotated files are deleted,
   * and the deletion is recorded in the log).
   */
  whenFull: WhenFull;
  /** A signed checkpoint is written after this many records (and on rotation and close). */
  checkpointEvery: number;
  /** The counters' snapshot is rewritten once the log has grown this much since the last one. */
  snapshotEveryBytes: number;
  /** Arguments of refused calls are kept up to this many characters of JSON, with their hash and size. */
  refusedArgsChars: number;
  /** The share of `maxBytes` at which `diskUsage().nearFull` turns on (the UI warns). */
  nearFullRatio: number;
  /** Free space on the log's disk below which `diskUsage().lowDisk` turns on (the UI warns). */
  minFreeBytes: number;
  io: AuditIo;
  now: () => number;
}

const MIB = 1024 * 1024;

/** The defaults: 1 GiB in all, 16 MiB per file, rotated daily, kept 90 days, refuse when full. */
export const DEFAULT_AUDIT_OPTIONS: AuditOptions = {
  maxBytes: 1024 * MIB,
  maxFileBytes: 16 * MIB,
  rotateAfterMs: 86_400_000,
  keepMs: 90 * 86_400_000,
  whenFull: "refuse",
  checkpointEvery: 256,
  snapshotEveryBytes: 4 * MIB,
  refusedArgsChars: 8 * 1024,
  nearFullRatio: 0.8,
  minFreeBytes: 256 * MIB,
  io: NODE_IO,
  now: () => Date.now(),
};

/** The full options, defaults filled in. */
export function auditOptions(partial: Partial<AuditOptions> = {}): AuditOptions {
  return { ...DEFAULT_AUDIT_OPTIONS, ...partial };
}

function positive(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

function duration(value: unknown): number | undefined {
  return typeof value === "string" && DURATION_PATTERN.test(value) ? durationMs(value) : undefined;
}

/**
 * The options a settings.json `audit` object asks for; anything missing or malformed keeps its default:
 * `{"audit": {"maxMB": 1024, "maxFileMB": 16, "rotateAfter": "1d", "keepFor": "90d", "whenFull": "refuse",
 * "minFreeMB": 256}}`.
 */
export function auditOptionsFromSettings(settings: SettingsStore): Partial<AuditOptions> {
  const raw = settings.get("audit");
  if (typeof raw !== "object" || raw === null) return {};
  const audit = raw as Record<string, unknown>;
  const out: Partial<AuditOptions> = {};
  const maxMB = positive(audit.maxMB);
  if (maxMB !== undefined) out.maxBytes = Math.max(1, Math.floor(maxMB * MIB));
  const fileMB = positive(audit.maxFileMB);
  if (fileMB !== undefined) out.maxFileBytes = Math.max(64 * 1024, Math.floor(fileMB * MIB));
  const rotate = duration(audit.rotateAfter);
  if (rotate !== undefined) out.rotateAfterMs = rotate;
  const keep = duration(audit.keepFor);
  if (keep !== undefined) out.keepMs = keep;
  if (audit.whenFull === "refuse" || audit.whenFull === "drop-oldest") out.whenFull = audit.whenFull;
  const minFreeMB = positive(audit.minFreeMB);
  if (minFreeMB !== undefined) out.minFreeBytes = Math.floor(minFreeMB * MIB);
  return out;
}
