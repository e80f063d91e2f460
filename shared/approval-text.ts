/**
 * What a human reads at the approval moment, built once for every place that says it: the approval
 * prompt, the desktop notification, Live calls and `mcp-warden decide`. Pure text from the contract's
 * types, so the UI and the Electron shell say the same thing in the same words.
 *
 * One vocabulary: the policy's `"approve"` action means **ask a human**; a call asking is **waiting for
 * approval**; a human **approves** or **denies** it; no answer in time means it **timed out** (and is
 * denied); Deny-all **denies** it; a client that stops waiting has **withdrawn** it. A call the policy
 * itself refuses is **denied by policy**.
 */
import type {
  ApprovalEnd,
  CallOutcome,
  CallStatus,
  CallTarget,
  LimitUse,
  PendingApproval,
  Risk,
  Verdict,
} from "./contract.js";

/** The policy's verdicts in words. */
export const VERDICT_WORDS: Record<Verdict, string> = {
  allow: "allow",
  deny: "deny",
  approve: "ask a human",
};

/**
 * What became of a forwarded call, in words: the tool answered (`ok`), the tool answered that it failed
 * (`isError`, or `success: false` in its structured content), or the upstream never answered properly.
 */
export const OUTCOME_WORDS: Record<CallOutcome, string> = {
  ok: "ok",
  "tool-error": "tool error",
  "upstream-error": "upstream failure",
};

/** Where a recorded call stands, in words (the audit record keeps its own status names). */
export const STATUS_WORDS: Record<CallStatus, string> = {
  allowed: "allowed",
  denied: "denied by policy",
  "rate-limited": "rate-limited",
  "awaiting-approval": "waiting for approval",
  approved: "approved",
  rejected: "denied",
  "timed-out": "timed out",
  cancelled: "withdrawn",
};

/** How a request for approval ended, in words. */
export const END_WORDS: Record<ApprovalEnd, string> = {
  approved: "approved",
  denied: "denied",
  "timed-out": "timed out: no one answered in time, so it was denied",
  "deny-all": "denied by Deny-all",
  cancelled: "withdrawn: the client stopped waiting",
};

// Control characters and Unicode direction overrides: an agent chooses these strings, so they must not
// be able to break lines or reorder what the human reads.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Agent-chosen text made safe to show on one line: no direction tricks, at most `max` characters.
 * Backslashes become "⧵": notify-send (and toast tools) turn a written `\n` into a line break, which
 * would let an agent forge a line such as "Risk: none".
 */
export function displayText(value: unknown, max = 80): string {
  const text = (typeof value === "string" ? value : (JSON.stringify(value) ?? String(value)))
    .replace(UNSAFE_CHARACTERS, " ")
    .replace(/\\/g, "\u29f5")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A piece of the headline: our own words, a name the server or agent chose (shown with its disguising
 * characters revealed), or an argument the call acts on with its value (absent when not sent).
 */
export type HeadlinePart =
  | { kind: "words"; text: string }
  | { kind: "name"; text: string }
  | { kind: "target"; argument: string; value?: string; labelled: boolean };

/** The `{argument}` placeholders of an effect, in order. */
function placeholders(effect: string): string[] {
  return [...effect.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** The effect's words with its placeholders filled from the targets. */
function effectParts(effect: string, targets: readonly CallTarget[]): HeadlinePart[] {
  return effect
    .split(/(\{\w+\})/)
    .filter(Boolean)
    .map((piece): HeadlinePart => {
      const argument = /^\{(\w+)\}$/.exec(piece)?.[1];
      if (argument === undefined) return { kind: "words", text: piece };
      const value = targets.find((t) => t.argument === argument)?.value;
      return { kind: "target", argument, labelled: false, ...(value !== undefined ? { value } : {}) };
    });
}

/**
 * What will happen, first: "Stop VM prod-api on virt?". A catalogued call says its effect with the
 * argument it acts on; any other says "Call <tool>" and lists every identifying argument; targets the
 * effect does not name follow in parentheses, so none is hidden behind another.
 */
export function headlineParts(
  approval: Pick<PendingApproval, "tool" | "server" | "risk" | "targets">,
): HeadlinePart[] {
  const targets = approval.targets ?? [];
  const effect = approval.risk?.effect;
  const named = effect ? placeholders(effect) : [];
  const parts: HeadlinePart[] = effect
    ? effectParts(effect, targets)
    : [
        { kind: "words", text: "Call " },
        { kind: "name", text: approval.tool },
      ];
  const extra = targets.filter((t) => t.value !== undefined && !named.includes(t.argument));
  if (extra.length) {
    parts.push({ kind: "words", text: " (" });
    extra.forEach((t, i) => {
      if (i > 0) parts.push({ kind: "words", text: ", " });
      parts.push({
        kind: "target",
        argument: t.argument,
        labelled: true,
        ...(t.value ? { value: t.value } : {}),
      });
    });
    parts.push({ kind: "words", text: ")" });
  }
  parts.push(
    { kind: "words", text: " on " },
    { kind: "name", text: approval.server },
    { kind: "words", text: "?" },
  );
  return parts;
}

/**
 * A long value cut in its middle, keeping both ends: the end of a path (`…/../../etc/shadow`) says as
 * much as its start.
 */
export function middleCut(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) / 3);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** How a target reads in plain text: its value, or that it was not sent. */
export function targetText(part: { argument: string; value?: string; labelled: boolean }, max = 80): string {
  if (part.value === undefined) return `(no ${part.argument} given)`;
  const value = middleCut(displayText(part.value, Number.POSITIVE_INFINITY), max);
  return part.labelled ? `${part.argument} ${value}` : value;
}

/** The headline as one line of plain text (the notification's title). */
export function headlineText(
  approval: Pick<PendingApproval, "tool" | "server" | "risk" | "targets">,
): string {
  return headlineParts(approval)
    .map((p) => (p.kind === "words" ? p.text : p.kind === "name" ? displayText(p.text, 40) : targetText(p)))
    .join("");
}

/** The risk in one line: "High risk (destructive): Stops a VM: its services go offline…". */
export function riskLine(risk: Risk | undefined): string {
  if (!risk) return "Risk not assessed: the server's tool list did not describe this tool.";
  const level = `${risk.level.charAt(0).toUpperCase()}${risk.level.slice(1)}`;
  const guessed = risk.source === "inferred" ? ", guessed from its name" : "";
  return `${level} risk (${risk.kind}${guessed}): ${risk.why}`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st… */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${suffix}`;
}

const WINDOW_WORDS: Record<string, string> = {
  second: "the last second",
  minute: "the last minute",
  hour: "the last hour",
  day: "the last day",
};

/** Whose calls a limit counts, in words. */
function scopeWords(scope: string, client: string, server: string): string {
  if (scope === "grant") return ` from ${displayText(client, 40)}`;
  if (scope === "session") return " in this session";
  if (scope === "server") return ` to ${displayText(server, 40)}`;
  return " from all clients";
}

/** The limit that leaves the fewest calls. */
function tightest(limits: readonly LimitUse[]): LimitUse | undefined {
  return limits.reduce<LimitUse | undefined>(
    (best, l) => (!best || l.max - l.used < best.max - best.used ? l : best),
    undefined,
  );
}

/** What a limit leaves: "7 left of 10", or that the next call is denied. */
function leavesText(limit: LimitUse): string {
  const left = Math.max(0, limit.max - limit.used);
  return left === 0 ? "none left: the next is denied until a slot frees up" : `${left} left of ${limit.max}`;
}

/**
 * The approval's context line: how many such calls this client made recently and, when a limit counts the
 * call, what the tightest one leaves — "3rd stop_vm from this client in the last minute; 7 left of 10". A
 * limit that counts other calls than this client's in the last minute says whose, and over what:
 * "; 40 left of 100 from all clients in the last day". Without the recent count (an approval from an older
 * warden), the limit's own count stands in: "3rd stop_vm from cursor in the last minute; 7 left of 10".
 * Undefined when neither is known.
 */
export function contextLine(
  approval: Pick<PendingApproval, "tool" | "operation" | "client" | "server" | "limits" | "recent">,
): string | undefined {
  const limit = tightest(approval.limits ?? []);
  const what = displayText(approval.operation ?? approval.tool, 40);
  const windowOf = (w: string) => WINDOW_WORDS[w] ?? `the last ${w}`;
  const { recent } = approval;
  if (recent) {
    const said = `${ordinal(recent.calls)} ${what} from this client in ${windowOf(recent.window)}`;
    if (!limit) return said;
    const sameFrame = limit.scope === "grant" && limit.window === recent.window;
    const frame = sameFrame
      ? ""
      : `${scopeWords(limit.scope, "this client", approval.server)} in ${windowOf(limit.window)}`;
    return `${said}; ${leavesText(limit)}${frame}`;
  }
  if (!limit) return undefined;
  return `${ordinal(limit.used)} ${what}${scopeWords(limit.scope, approval.client, approval.server)} in ${windowOf(limit.window)}; ${leavesText(limit)}`;
}

/**
 * Who asks, as a person would say it: the client's own name from its handshake, with the grant (the
 * token it came with) beside it when they differ — "Claude Desktop (grant: default)"; the grant alone
 * when the client named itself not at all, or by the grant's own name.
 */
export function askerName(approval: Pick<PendingApproval, "client" | "clientName">): string {
  const grant = displayText(approval.client, 40);
  const name = approval.clientName === undefined ? "" : displayText(approval.clientName, 40);
  return name && name !== grant ? `${name} (grant: ${grant})` : grant;
}

/** Whose warden holds a team approval's call, when it was offered to the team: "on alice's warden ". */
export function holderWords(approval: Pick<PendingApproval, "team">): string {
  return approval.team ? `on ${displayText(approval.team.requester, 40)}'s warden ` : "";
}

/**
 * Who asks and through what: "Asked by Claude Desktop (grant: default) · virt/proxmox_management"; for an
 * approval offered to the team, whose warden holds the call too: "Asked on alice's warden by Claude Desktop
 * (grant: default) · virt/stop_vm".
 */
export function askerLine(
  approval: Pick<PendingApproval, "client" | "clientName" | "tool" | "server" | "team">,
): string {
  return `Asked ${holderWords(approval)}by ${askerName(approval)} · ${displayText(approval.server, 40)}/${displayText(approval.tool, 40)}`;
}
