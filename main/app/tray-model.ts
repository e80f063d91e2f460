/**
 * The tray as a function of state (Signal's SystemTrayService idea): the warden's state in, the menu
 * items, the icon and the tooltip out. Pure: no Electron here, so every state can be checked in a table.
 */
import { displayText } from "../../shared/approval-text.js";

/** What the tray shows. */
export interface TrayState {
  denyAll: boolean;
  /** Calls waiting for approval. */
  pending: number;
  serversUp: number;
  serversTotal: number;
  callsToday: number;
  startAtLogin: boolean;
  /** Servers waiting for the user to sign in (OAuth upstreams), by name. */
  signInNeeded?: readonly string[];
}

/** Sign-in entries the menu lists by name; more are summed up in one. */
const SIGN_IN_ENTRIES = 3;

/** The tray icon's three states; Deny-all wins over pending approvals. */
export type TrayIconName = "normal" | "pending" | "deny-all";

/** What a menu entry does when clicked. */
export type TrayCommand =
  | "toggleDenyAll"
  | "openApprovals"
  | "openLiveCalls"
  | "openPolicy"
  | "openServers"
  | "toggleStartAtLogin"
  | "quit";

/** One menu entry, independent of Electron's MenuItem. */
export type TrayMenuItem =
  | { kind: "separator" }
  | { kind: "status"; label: string }
  | { kind: "action"; label: string; command: TrayCommand }
  | { kind: "checkbox"; label: string; checked: boolean; command: TrayCommand };

/** Everything the tray displays. */
export interface TrayModel {
  icon: TrayIconName;
  tooltip: string;
  items: TrayMenuItem[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The tray icon for a state. */
export function trayIcon(state: TrayState): TrayIconName {
  if (state.denyAll) return "deny-all";
  return state.pending > 0 ? "pending" : "normal";
}

/** The status line: servers up and calls today, or what overrides them. */
export function statusLine(state: TrayState): string {
  const servers =
    state.serversTotal === 0 ? "No servers" : `${state.serversUp}/${state.serversTotal} servers up`;
  return `${servers} · ${plural(state.callsToday, "call")} today`;
}

/** The menu, icon and tooltip for a state. */
export function trayModel(state: TrayState): TrayModel {
  const waiting = state.pending > 0 ? `, ${plural(state.pending, "approval")} waiting` : "";
  const signIn = state.signInNeeded ?? [];
  const signInNote = signIn.length > 0 ? `, sign-in needed for ${plural(signIn.length, "server")}` : "";
  const tooltip = state.denyAll
    ? "MCP Warden — Deny all is ON: every tool call is refused"
    : `MCP Warden — ${statusLine(state)}${waiting}${signInNote}`;
  // Each opens the Servers view, where the server's Sign in button is.
  const signInItems: TrayMenuItem[] = [
    ...signIn.slice(0, signIn.length > SIGN_IN_ENTRIES ? SIGN_IN_ENTRIES - 1 : SIGN_IN_ENTRIES).map(
      (name): TrayMenuItem => ({
        kind: "action",
        label: `Sign in to ${displayText(name, 40)}`,
        command: "openServers",
      }),
    ),
    ...(signIn.length > SIGN_IN_ENTRIES
      ? [
          {
            kind: "action",
            label: `Sign in to ${signIn.length - SIGN_IN_ENTRIES + 1} more servers`,
            command: "openServers",
          } as const,
        ]
      : []),
  ];
  return {
    icon: trayIcon(state),
    tooltip,
    items: [
      { kind: "status", label: state.denyAll ? `Deny all is ON · ${statusLine(state)}` : statusLine(state) },
      ...signInItems,
      { kind: "separator" },
      { kind: "checkbox", label: "Deny all", checked: state.denyAll, command: "toggleDenyAll" },
      { kind: "action", label: `Waiting for approval (${state.pending})`, command: "openApprovals" },
      { kind: "separator" },
      { kind: "action", label: "Live calls", command: "openLiveCalls" },
      { kind: "action", label: "Policy editor", command: "openPolicy" },
      { kind: "action", label: "Servers", command: "openServers" },
      { kind: "separator" },
      {
        kind: "checkbox",
        label: "Start at login",
        checked: state.startAtLogin,
        command: "toggleStartAtLogin",
      },
      { kind: "action", label: "Quit", command: "quit" },
    ],
  };
}

/** The tray while the core starts (shown at once, before any server has connected): the status and Quit. */
export function startingModel(): TrayModel {
  return {
    icon: "normal",
    tooltip: "MCP Warden — starting…",
    items: [
      { kind: "status", label: "Starting…" },
      { kind: "separator" },
      { kind: "action", label: "Quit", command: "quit" },
    ],
  };
}

/** Whether two models display the same thing (the tray re-renders only when they differ). */
export function sameModel(a: TrayModel | undefined, b: TrayModel): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
