/**
 * Desktop notifications: Electron's own on macOS and Windows (electron-notifier.ts), node-notifier's
 * notify-send on Linux. A pending approval — this warden's, or a teammate's offered to the team — raises
 * one that says what will happen to what ("Stop VM prod-api on virt?"), who asks (and on whose warden), the risk and what the limit leaves (text from shared/approval-text.ts,
 * the same the prompt shows); on macOS Approve and Deny buttons answer it directly, and on macOS and
 * Windows a click opens the approval prompt on that request. When no notification
 * can be shown (no notification daemon, notify-send missing), the prompt window opens instead: an
 * approval request is never invisible. Deny all toggled and an upstream that keeps crashing are notified
 * too.
 */

import { askerLine, contextLine, displayText, headlineText, riskLine } from "../../shared/approval-text.js";
import type { PendingApproval, ServerStatus, WardenEvents } from "../../shared/contract.js";
import { formatMs } from "../../shared/durations.js";
import type { CrashReport, CrashWatch } from "./crash-watch.js";
import type { NotificationChoices } from "./settings.js";

/** The node-notifier options used here (each notifier ignores the ones it does not know). */
export interface NotifyOptions {
  title: string;
  message: string;
  icon?: string;
  /** Windows: the app's AppUserModelID, so the toast is attributed to MCP Warden. */
  appID?: string;
  /** macOS and Windows: keep the notification and report the user's answer. */
  wait?: boolean;
  actions?: string[];
  closeLabel?: string;
  /** Seconds (macOS: how long to wait for an answer). */
  timeout?: number;
  /** notify-send. */
  urgency?: "low" | "normal" | "critical";
  "app-name"?: string;
  category?: string;
}

/** What node-notifier reports: an error, or the user's response (lower case) and details. */
export type NotifyCallback = (
  error: Error | string | null,
  response?: string,
  metadata?: { activationType?: string; activationValue?: string },
) => void;

/** node-notifier, or a fake of it. */
export interface Notifier {
  notify(options: NotifyOptions, callback: NotifyCallback): unknown;
}

/** What the user did with an approval notification. */
export type NotificationAnswer = "approve" | "deny" | "open" | "none";

export { displayText };

export const APPROVE_LABEL = "Approve";
export const DENY_LABEL = "Deny";

/**
 * Reads node-notifier's report. macOS reports a button as response "activate" with the button's label
 * in `metadata.activationValue`; Windows reports the button's label as the response; a click on the
 * notification itself is "activate" on both.
 */
export function notificationAnswer(
  response: string | undefined,
  metadata?: { activationType?: string; activationValue?: string },
): NotificationAnswer {
  const value = (metadata?.activationValue ?? "").trim().toLowerCase();
  const said = (response ?? "").trim().toLowerCase();
  if (value === "approve" || said === "approve") return "approve";
  if (value === "deny" || said === "deny") return "deny";
  if (said === "activate" || said === "click" || said === "clicked") return "open";
  return "none";
}

/** Whether the platform's notifications have Approve and Deny buttons (Electron's, on macOS). */
export function supportsActions(platform: NodeJS.Platform): boolean {
  return platform === "darwin";
}

/** Whether a click on a notification reaches the app (Electron's on macOS and Windows; notify-send's never). */
export function reportsClicks(platform: NodeJS.Platform): boolean {
  return platform === "darwin" || platform === "win32";
}

/** Escapes text for notification servers that read the body as markup (freedesktop "body-markup"). */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The title and body of an approval notification: the effect first, then who asks, the risk and the limit. */
export function approvalNotice(
  approval: PendingApproval,
  now: number,
  platform: NodeJS.Platform,
): { title: string; message: string } {
  const title = headlineText(approval);
  const context = contextLine(approval);
  const lines = [
    askerLine(approval),
    displayText(riskLine(approval.risk), 160),
    ...(context ? [context] : []),
    `Policy: ${displayText(approval.reason || "this call asks a human", 120)}`,
    `Denied in ${formatMs(approval.deadline - now)} without an answer`,
  ];
  if (platform === "linux" || platform === "freebsd" || platform === "openbsd") {
    // notify-send cannot click through: say where to answer. Notification servers read the body as markup.
    lines.push("Answer from the MCP Warden tray menu: Waiting for approval");
    return { title, message: lines.map(escapeMarkup).join("\n") };
  }
  return { title, message: lines.join("\n") };
}

/** What the core says to an answer. */
export interface Answered {
  ok: boolean;
  error?: string;
}

/** How the notifications reach the rest of the app. */
export interface NotificationsOptions {
  notifier: Notifier;
  platform: NodeJS.Platform;
  choices: () => NotificationChoices;
  /** Opens the approval prompt on a request. */
  openPrompt: (approvalId: string) => void;
  /** Opens the Servers view (where a server's Sign in button is). */
  openServers?: () => void;
  /**
   * The core's answers (the contract's `approve` and `deny`, so a teammate's approval is answered with a
   * signed statement); `approve` takes the call hash that was shown.
   */
  approve: (id: string, callHash: string) => Answered | Promise<Answered>;
  deny: (id: string) => Answered | Promise<Answered>;
  /** Told when something could not be shown or done (for the log). */
  onProblem?: (message: string) => void;
  icon?: string;
  appID?: string;
  now?: () => number;
}

/** Raises the app's notifications. */
export class DesktopNotifications {
  readonly #options: NotificationsOptions;
  readonly #now: () => number;

  constructor(options: NotificationsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  #base(): Partial<NotifyOptions> {
    const { icon, appID, platform } = this.#options;
    return {
      ...(icon ? { icon } : {}),
      ...(appID && platform === "win32" ? { appID } : {}),
      ...(platform === "linux" ? { "app-name": "MCP Warden" } : {}),
    };
  }

  /** A pending approval: a notification, the prompt window, or both, as the user chose. */
  approvalAdded(approval: PendingApproval): void {
    const { notifier, platform, choices, openPrompt } = this.#options;
    const mode = choices().approvals;
    if (mode !== "notification") openPrompt(approval.id);
    if (mode === "prompt") return;
    const notice = approvalNotice(approval, this.#now(), platform);
    const seconds = Math.max(5, Math.ceil((approval.deadline - this.#now()) / 1_000));
    const options: NotifyOptions = {
      ...this.#base(),
      ...notice,
      ...(reportsClicks(platform) ? { wait: true, timeout: seconds } : {}),
      ...(supportsActions(platform) ? { actions: [APPROVE_LABEL, DENY_LABEL], closeLabel: "Later" } : {}),
      ...(platform === "linux" ? { urgency: "critical", category: "im.received" } : {}),
    };
    let fellBack = false;
    try {
      notifier.notify(options, (error, response, metadata) => {
        if (error) {
          this.#options.onProblem?.(`approval notification failed (${errorText(error)}); opening the prompt`);
          if (mode === "notification" && !fellBack) {
            fellBack = true;
            openPrompt(approval.id);
          }
          return;
        }
        this.#answer(approval, notificationAnswer(response, metadata));
      });
    } catch (error) {
      this.#options.onProblem?.(`approval notification failed (${errorText(error)}); opening the prompt`);
      if (mode === "notification") openPrompt(approval.id);
    }
  }

  #answer(approval: PendingApproval, answer: NotificationAnswer): void {
    if (answer === "none") return;
    if (answer === "open") {
      this.#options.openPrompt(approval.id);
      return;
    }
    const result =
      answer === "approve"
        ? this.#options.approve(approval.id, approval.callHash)
        : this.#options.deny(approval.id);
    const report = (answered: Answered) => {
      if (answered.ok) return;
      this.#inform(
        "MCP Warden",
        `Could not ${answer} ${displayText(approval.tool, 40)}: ${answered.error ?? "unknown error"}`,
      );
    };
    if (result instanceof Promise)
      void result.then(report, (error: unknown) => report({ ok: false, error: errorText(error) }));
    else report(result);
  }

  /** Deny all turned on or off. */
  denyAllChanged(on: boolean): void {
    if (!this.#options.choices().denyAll) return;
    this.#inform(
      on ? "Deny all is ON" : "Deny all is off",
      on
        ? "MCP Warden refuses every tool call, and denied every call waiting for approval."
        : "Tool calls are decided by your policy again.",
    );
  }

  /** An upstream server that keeps crashing, or that the core gave up restarting. */
  serverCrashing(report: CrashReport): void {
    if (!this.#options.choices().crashes) return;
    const { server } = report;
    const name = displayText(server.name, 40);
    const detail = lastWords(server);
    this.#inform(
      report.kind === "failed" ? `${name} stopped` : `${name} keeps crashing`,
      report.kind === "failed"
        ? `MCP Warden gave up restarting ${name} after ${server.restarts} restarts.${detail}`
        : `${name} restarted ${report.recentRestarts} times in the last minutes; calls to it fail meanwhile.${detail}`,
    );
  }

  /** A server that waits for the user to sign in (OAuth): a click opens the Servers view. */
  signInNeeded(server: ServerStatus): void {
    const { platform } = this.#options;
    const name = displayText(server.name, 40);
    const why = server.signIn?.needed ? ` (${displayText(server.signIn.needed, 120)})` : "";
    const where = reportsClicks(platform)
      ? "Click to open Servers and sign in."
      : "Open Servers from the MCP Warden tray menu to sign in.";
    const message = `${name} needs you to sign in before its tools work${why}. ${where}`;
    const title = `Sign in to ${name}`;
    try {
      this.#options.notifier.notify(
        {
          ...this.#base(),
          title,
          message: platform === "linux" ? escapeMarkup(message) : message,
          ...(reportsClicks(platform) ? { wait: true } : {}),
        },
        (error, response, metadata) => {
          if (error) this.#options.onProblem?.(`notification "${title}" failed: ${errorText(error)}`);
          else if (notificationAnswer(response, metadata) === "open") this.#options.openServers?.();
        },
      );
    } catch (error) {
      this.#options.onProblem?.(`notification "${title}" failed: ${errorText(error)}`);
    }
  }

  #inform(title: string, message: string): void {
    const { platform } = this.#options;
    const body = platform === "linux" ? escapeMarkup(message) : message;
    try {
      this.#options.notifier.notify({ ...this.#base(), title, message: body }, (error) => {
        if (error) this.#options.onProblem?.(`notification "${title}" failed: ${errorText(error)}`);
      });
    } catch (error) {
      this.#options.onProblem?.(`notification "${title}" failed: ${errorText(error)}`);
    }
  }
}

function errorText(error: unknown): string {
  return displayText(error instanceof Error ? error.message : String(error), 200);
}

function lastWords(server: ServerStatus): string {
  const last = server.stderr.at(-1) ?? server.lastError;
  return last ? ` Last: ${displayText(last, 120)}` : "";
}

/**
 * The parts of the core the notifications listen to: its events, where a pending approval is this
 * warden's own or a teammate's offered to the team.
 */
export interface NotificationSources {
  events: {
    on<E extends "approvalAdded" | "denyAll" | "servers">(
      event: E,
      listener: (payload: WardenEvents[E]) => void,
    ): () => void;
  };
}

/** Which servers have just come to need a sign-in (each once, until it no longer needs one). */
export class SignInWatch {
  readonly #needed = new Set<string>();

  /** The servers that need a sign-in now and did not at the last update. */
  update(servers: readonly ServerStatus[]): ServerStatus[] {
    const now = servers.filter((s) => s.state === "sign-in-needed");
    const fresh = now.filter((s) => !this.#needed.has(s.name));
    this.#needed.clear();
    for (const s of now) this.#needed.add(s.name);
    return fresh;
  }
}

/** Connects the core's approvals, Deny all and server states to the notifications; returns the unsubscribe. */
export function wireNotifications(
  sources: NotificationSources,
  notifications: DesktopNotifications,
  crashes: CrashWatch,
): () => void {
  const signIns = new SignInWatch();
  const offs = [
    sources.events.on("approvalAdded", (approval) => notifications.approvalAdded(approval)),
    sources.events.on("denyAll", ({ on }) => notifications.denyAllChanged(on)),
    sources.events.on("servers", (servers) => {
      for (const report of crashes.update(servers)) notifications.serverCrashing(report);
      for (const server of signIns.update(servers)) notifications.signInNeeded(server);
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
