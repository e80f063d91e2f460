/**
 * Client configs the warden can wrap (Claude Desktop, Cursor, Claude Code, VS Code) and what wrapping
 * them reports: shared by the CLI, the core and the UI's welcome and Servers views.
 */

/** The clients whose configs the warden can wrap. */
export const CLIENTS = ["claude-desktop", "cursor", "claude-code", "vscode"] as const;
export type ClientId = (typeof CLIENTS)[number];

/** Names people know the clients by. */
export const CLIENT_LABELS: Readonly<Record<ClientId, string>> = {
  "claude-desktop": "Claude Desktop",
  cursor: "Cursor",
  "claude-code": "Claude Code",
  vscode: "VS Code",
};

/** Where a client token goes in a config snippet, until the UI puts a real (or masked) one there. */
export const TOKEN_PLACEHOLDER = "<your client token>";

/** What to paste into one client's config to reach one server through the warden. */
export interface ClientSnippet {
  client: ClientId;
  label: string;
  /** The file the snippet goes in (this machine's, when the warden knows it). */
  file?: string;
  /** The config text, with TOKEN_PLACEHOLDER where the client token goes. */
  text: string;
}

/** A client file the warden found, for a first-run welcome or a Servers view. */
export interface FoundConfig {
  client: ClientId;
  label: string;
  path: string;
  /** Entries in the file, and how many of them already reach the warden. */
  servers: number;
  wrapped: number;
  /** Why the file could not be read, if it could not. */
  error?: string;
}

/** What happened to one entry of a client's file. */
export interface EntryResult {
  /** Where the entry is: `mcpServers.github`, `projects["/app"].mcpServers.db`. */
  label: string;
  /** moved: now reaches the warden; the others were left alone. */
  outcome: "moved" | "already-wrapped" | "disabled" | "unsupported";
  /** The warden server it reaches (moved, already-wrapped). */
  server?: string;
  /** Why an entry was left alone; for a moved one, what changes (the warden signs in for it). */
  note?: string;
}

/** The outcome of wrapping one client file. */
export interface WrapResult {
  configPath: string;
  serversPath: string;
  /** False when nothing needed wrapping: no file was written. */
  changed: boolean;
  /** Where the original was copied to (when changed). */
  backup?: string;
  /** The grant (tokens.json name) the client uses. */
  grant: string;
  entries: EntryResult[];
}

/** The outcome of unwrapping one client file. */
export interface UnwrapResult {
  configPath: string;
  /** True when the file was restored byte for byte from the backups. */
  exact: boolean;
  /** Entries put back one by one (when the file had changed since it was wrapped). */
  restored: string[];
  /** Servers taken out of the servers file. */
  removedServers: string[];
  /** Servers left in the servers file, and why. */
  keptServers: { server: string; why: string }[];
  grantRemoved: boolean;
}
