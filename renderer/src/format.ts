/** Words and formats the views share: decision labels, times, durations. */
import { OUTCOME_WORDS, STATUS_WORDS, VERDICT_WORDS } from "../../shared/approval-text.js";
import type { CallOutcome, CallRecord, CallStatus, Decision } from "../../shared/contract.js";

/** Where a call stands, in the words every view and the notification use (shared/approval-text.ts). */
export const STATUS_LABEL: Record<CallStatus, string> = STATUS_WORDS;

export const STATUSES = Object.keys(STATUS_LABEL) as CallStatus[];

/** The colour family of a status badge (CSS class suffix). */
export const STATUS_TONE: Record<CallStatus, "ok" | "bad" | "warn" | "wait" | "muted"> = {
  allowed: "ok",
  approved: "ok",
  denied: "bad",
  rejected: "bad",
  "rate-limited": "warn",
  "timed-out": "warn",
  "awaiting-approval": "wait",
  cancelled: "muted",
};

export const VERDICT_LABEL: Record<Decision["verdict"], string> = VERDICT_WORDS;

export const VERDICT_TONE: Record<Decision["verdict"], "ok" | "bad" | "wait"> = {
  allow: "ok",
  deny: "bad",
  approve: "wait",
};

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `14:03:07` in local time. */
export function clockTime(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `2026-11-26 14:03:07.120` in local time. */
export function fullTime(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(ts)}.${pad(d.getMilliseconds(), 3)}`;
}

/** `12 ms`, `1.4 s`, `2 min 5 s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round((ms % 60_000) / 1_000);
  return `${Math.floor(ms / 60_000)} min${seconds ? ` ${seconds} s` : ""}`;
}

/** A forwarded call's outcome in words: ok, tool error, upstream failure. */
export const OUTCOME_LABEL: Record<CallOutcome, string> = OUTCOME_WORDS;

/**
 * How long the upstream took. A record from before the warden kept it apart holds only the whole latency,
 * which is the upstream's time when no human was asked.
 */
export function upstreamTime(call: CallRecord): number | undefined {
  if (call.upstreamMs !== undefined) return call.upstreamMs;
  return call.status === "allowed" && call.outcome !== undefined ? call.latencyMs : undefined;
}

/** `1:05` for a countdown. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1_000));
  return s >= 3_600
    ? `${Math.floor(s / 3_600)}:${pad(Math.floor((s % 3_600) / 60))}:${pad(s % 60)}`
    : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** Pretty JSON, two spaces. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "undefined";
}
