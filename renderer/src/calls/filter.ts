/** Filtering and summarising calls: pure functions over `CallRecord`. */
import type { CallRecord, CallStatus } from "../../../shared/contract.js";
import { escapeDisguises } from "../approvals/reveal.js";

/** What the live view shows: "" means any. */
export interface CallFilter {
  server: string;
  tool: string;
  status: CallStatus | "";
  /** Case-insensitive text searched for in the arguments (as JSON). */
  search: string;
}

export const NO_FILTER: CallFilter = { server: "", tool: "", status: "", search: "" };

const argsTextCache = new WeakMap<CallRecord, string>();

/** The arguments as lower-case JSON, computed once per record. */
export function argsText(record: CallRecord): string {
  let text = argsTextCache.get(record);
  if (text === undefined) {
    text = JSON.stringify(record.args ?? {}).toLowerCase();
    argsTextCache.set(record, text);
  }
  return text;
}

/** The predicate for a filter. */
export function callMatcher(filter: CallFilter): (record: CallRecord) => boolean {
  const search = filter.search.trim().toLowerCase();
  return (r) =>
    (!filter.server || r.server === filter.server) &&
    (!filter.tool || r.tool === filter.tool) &&
    (!filter.status || r.status === filter.status) &&
    (!search || argsText(r).includes(search));
}

/**
 * A one-line summary of arguments: `vm_name: "dev-web", force: true`, cut at `max` characters, with
 * disguising characters as escapes (a `U+202E` would otherwise reorder the row).
 */
export function argsSummary(args: Record<string, unknown> | undefined, max = 120): string {
  const parts = Object.entries(args ?? {}).map(
    ([key, value]) => `${key}: ${JSON.stringify(value) ?? "undefined"}`,
  );
  const text = escapeDisguises(parts.join(", "));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
