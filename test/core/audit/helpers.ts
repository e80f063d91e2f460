/** Shared by the audit tests: a temporary log folder, records, and reading the files back. */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { CallRecord } from "../../../shared/contract.js";

export const KEY = "stop_vm_rate\u0000grant:alice";

/** A fresh folder for one test's log. */
export function logDir(): string {
  return mkdtempSync(join(tmpdir(), "warden-audit-"));
}

/** A call record as the warden writes one. */
export function call(id: string, ts: number, more: Partial<CallRecord> = {}): CallRecord {
  return {
    id,
    ts,
    client: "alice",
    session: "s1",
    server: "virt",
    tool: "stop_vm",
    args: { vm_name: `vm-${id}` },
    status: "allowed",
    rule: 'tools["stop_vm"]',
    reason: "allowed by policy",
    ...more,
  };
}

/** The non-empty lines of a plain or gzip audit file. */
export function linesOf(path: string): string[] {
  const bytes = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
  return text.split("\n").filter(Boolean);
}

/** A parsed line. */
export type Line = Record<string, unknown> & { seq?: number; prev?: string; t?: string; id?: string };

export function parsedOf(path: string): Line[] {
  return linesOf(path).map((l) => JSON.parse(l) as Line);
}

/** The rotated files of `audit` in `dir`, oldest first. */
export function rotated(dir: string, base = "audit"): string[] {
  return readdirSync(dir)
    .filter((n) => new RegExp(`^${base}\\.\\d{12}\\.\\d+-\\d+\\.jsonl(\\.gz)?$`).test(n))
    .sort();
}

/** Every line of the log in order: rotated files, then the active one. */
export function allLines(dir: string, base = "audit"): Line[] {
  return [...rotated(dir, base).map((n) => join(dir, n)), join(dir, `${base}.jsonl`)].flatMap(parsedOf);
}

/** An error with a system code, as fs throws them. */
export function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}
