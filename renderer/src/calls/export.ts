/** Exporting calls as JSON Lines and CSV. */
import type { CallRecord } from "../../../shared/contract.js";

/** One JSON object per line, as the records are. */
export function toJsonl(records: readonly CallRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}

export const CSV_COLUMNS = [
  "time",
  "id",
  "client",
  "session",
  "server",
  "tool",
  "operation",
  "status",
  "rule",
  "reason",
  "latency_ms",
  "outcome",
  "error",
  "args",
] as const;

/**
 * One CSV field (RFC 4180 quoting). A value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * tab, CR at the start) gets a leading `'`: arguments come from agents and must not become formulas.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A header line and one line per call; times in ISO 8601 (UTC). */
export function toCsv(records: readonly CallRecord[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of records) {
    const values = [
      new Date(r.ts).toISOString(),
      r.id,
      r.client,
      r.session,
      r.server,
      r.tool,
      r.operation ?? "",
      r.status,
      r.rule,
      r.reason,
      r.latencyMs === undefined ? "" : String(r.latencyMs),
      r.outcome ?? "",
      r.error ?? "",
      JSON.stringify(r.args ?? {}),
    ];
    lines.push(values.map(csvField).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
