/**
 * The per-user data folder: policy.json, servers.json, tokens.json (client grants and the admin token,
 * user-only permissions), settings.json, audit.jsonl and runtime.json (where a running `serve` listens).
 * First run creates the folder user-only (0700) and the files user-only (0600), with a safe default policy;
 * a folder or file that another user owns or may write is refused (private-files.ts).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { checkDataDir } from "./private-files.js";

/** Where the data folder is when no `--data-dir` is given. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.MCP_WARDEN_HOME) return env.MCP_WARDEN_HOME;
  if (platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "mcp-warden");
  if (platform === "darwin") return join(homedir(), "Library", "Application Support", "mcp-warden");
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "mcp-warden");
}

/** The policy a first run writes: reads allowed, stop_vm asks a human and is rate-capped, delete refused. */
export const DEFAULT_POLICY = {
  version: "1",
  default: "approve",
  comment: "Written by MCP Warden on first run. A tool not named here asks you before it runs.",
  tools: {
    list_vms: { action: "allow", comment: "Read-only." },
    get_vm_info: { action: "allow", comment: "Read-only." },
    list_snapshots: { action: "allow", comment: "Read-only." },
    get_system_info: { action: "allow", comment: "Read-only." },
    get_vbox_version: { action: "allow", comment: "Read-only." },
    list_ostypes: { action: "allow", comment: "Read-only." },
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes its services offline",
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
    },
    delete_vm: { action: "deny", reason: "Deleting a VM destroys it and its disks: do it yourself" },
  },
  resources: { "*": { action: "allow", comment: "Reading a resource changes nothing." } },
  prompts: { "*": { action: "allow", comment: "A prompt template only fills in text." } },
};

/** Client grants and the admin token. */
export interface Tokens {
  admin: string;
  grants: Record<string, string>;
}

/** A fresh random token. */
export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Writes a file atomically (temp file + rename) with the given mode. */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const temp = join(dirname(path), `.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}

/** Paths of the files in a data folder. */
export function dataPaths(dir: string) {
  return {
    dir,
    policy: join(dir, "policy.json"),
    servers: join(dir, "servers.json"),
    tokens: join(dir, "tokens.json"),
    audit: join(dir, "audit.jsonl"),
    runtime: join(dir, "runtime.json"),
    pins: join(dir, "pins.json"),
  };
}

/**
 * Creates the data folder and any missing default files; returns their paths. Throws NotPrivateError when
 * the folder or a file in it belongs to another user or others may write it.
 */
export function ensureDataDir(dir: string): ReturnType<typeof dataPaths> {
  const paths = dataPaths(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkDataDir(dir);
  if (!existsSync(paths.policy))
    writeFileAtomic(paths.policy, `${JSON.stringify(DEFAULT_POLICY, null, 2)}\n`);
  if (!existsSync(paths.servers))
    writeFileAtomic(paths.servers, `${JSON.stringify({ mcpServers: {} }, null, 2)}\n`);
  return paths;
}

/** Reads tokens.json, creating it (admin token + a "default" grant) when missing; always user-only. */
export function ensureTokens(path: string): Tokens {
  if (existsSync(path)) {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<Tokens>;
    if (typeof value.admin !== "string" || typeof value.grants !== "object" || value.grants === null) {
      throw new Error(`tokens file ${path} must hold {"admin": "...", "grants": {"name": "token"}}`);
    }
    chmodSync(path, 0o600);
    return { admin: value.admin, grants: value.grants };
  }
  const tokens: Tokens = { admin: newToken(), grants: { default: newToken() } };
  writeFileAtomic(path, `${JSON.stringify(tokens, null, 2)}\n`);
  return tokens;
}
