/**
 * Wrapping a client: its servers move into the warden's servers file (merged: a name already taken by a
 * different server gets a suffix), it gets a named grant in tokens.json, and its entries are rewritten to
 * reach the servers through the warden. Every other byte of its file stays as it was. A backup is written
 * first, and wrapped.json in the data folder records what was done, so that `unwrap` can restore the file
 * byte for byte — or, when the file has changed since, put the original entries back in place — and take
 * out of the servers file exactly the servers it added, if nobody changed them.
 *
 * Entries already pointing at the warden, disabled entries and entries the warden cannot run for the client
 * (variables only the client fills in, an envFile, an unknown type) are left alone, so wrapping twice
 * changes nothing the second time.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  CLIENT_LABELS,
  CLIENTS,
  type ClientId,
  type EntryResult,
  type FoundConfig,
  type UnwrapResult,
  type WrapResult,
} from "../../../shared/clients.js";
import { canonicalJson } from "../canonical.js";
import { dataPaths, ensureTokens, newToken, type Tokens, writeFileAtomic } from "../config/data-dir.js";
import { checkDataDir, checkPrivate } from "../config/private-files.js";
import { parseServers, type ServerConfig } from "../config/servers-config.js";
import {
  type BridgeCommand,
  clientConfigPaths,
  entryLabel,
  isDisabled,
  type Place,
  projectFolder,
  serverConfigOf,
  serverContainers,
  type WardenIdentity,
  wardenServerOf,
  wrappedEntry,
} from "./client-configs.js";
import {
  insertProperty,
  type JsonNode,
  nodeAt,
  parseJsonc,
  removeProperty,
  replaceText,
  replaceValue,
} from "./jsonc.js";
import { remoteSignIn } from "./oauth-wrap.js";

export interface WrapOptions {
  client: ClientId;
  configPath: string;
  dataDir: string;
  /** Defaults to servers.json in the data folder. */
  serversPath?: string;
  /** The warden's base URL as the client reaches it, e.g. `http://127.0.0.1:17430`. */
  wardenUrl: string;
  /** How the client starts `mcp-warden` (for clients that need the stdio bridge). */
  bridge: BridgeCommand;
  now?: Date;
}

export interface UnwrapOptions {
  client: ClientId;
  /** Which wrapped file; may be left out when the client has exactly one. */
  configPath?: string;
  dataDir: string;
}

/** One entry moved by a wrap. */
interface MovedEntry {
  path: string[];
  server: string;
  /** True when this wrap added the server to the servers file (false: an identical one was there). */
  added: boolean;
  config: ServerConfig;
  /** The entry's original text, to put back when the file cannot be restored whole. */
  original: string;
}

/** One wrap that changed a file. */
interface WrapStep {
  at: string;
  backup: string;
  /** SHA-256 of the text this wrap wrote. */
  written: string;
  wardenUrl: string;
  entries: MovedEntry[];
}

/** What wrapped.json records for one client file. */
interface FileRecord {
  client: ClientId;
  servers: string;
  /** True when the first wrap created the client's grant. */
  grantCreated: boolean;
  steps: WrapStep[];
}

interface WrapState {
  version: 1;
  files: Record<string, FileRecord>;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function statePath(dataDir: string): string {
  return join(dataDir, "wrapped.json");
}

function readState(dataDir: string): WrapState {
  const path = statePath(dataDir);
  if (!existsSync(path)) return { version: 1, files: {} };
  const value = JSON.parse(readFileSync(path, "utf8")) as Partial<WrapState>;
  if (value.version !== 1 || typeof value.files !== "object" || value.files === null)
    throw new Error(`${path} is not a wrap record this version understands`);
  return { version: 1, files: value.files };
}

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function parseFile(path: string, text: string): JsonNode {
  try {
    return parseJsonc(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

/** The servers file's text and servers; a missing file is an empty one. */
function readServers(path: string): { text: string; servers: Map<string, ServerConfig> } {
  const text = existsSync(path) ? readFileSync(path, "utf8") : `{\n  "mcpServers": {}\n}\n`;
  const parsed = parseServers(parseFile(path, text).value);
  if (!parsed.ok) {
    const problems = parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    throw new Error(`servers file ${path} is invalid (${problems}); fix it first`);
  }
  return { text, servers: new Map(Object.entries(parsed.servers.mcpServers)) };
}

/** Adds a server to the servers file's text, creating `mcpServers` if the file has none. */
function addServer(text: string, name: string, config: ServerConfig): string {
  const root = parseJsonc(text);
  const container = nodeAt(root, ["mcpServers"]);
  if (container) return insertProperty(text, container, name, config);
  return insertProperty(text, root, "mcpServers", { [name]: config });
}

/**
 * The name a moved server gets in the servers file: the client's name made safe, reused when an identical
 * server is already there, otherwise suffixed -2, -3, … until free.
 */
function allocate(name: string, config: ServerConfig, servers: Map<string, ServerConfig>) {
  const base = name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "server";
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    const existing = servers.get(candidate);
    if (!existing) {
      servers.set(candidate, config);
      return { server: candidate, added: true };
    }
    if (canonicalJson(existing) === canonicalJson(config)) return { server: candidate, added: false };
  }
}

function readTokens(dataDir: string): Tokens | undefined {
  const path = dataPaths(dataDir).tokens;
  return existsSync(path) ? ensureTokens(path) : undefined;
}

/** Moves a client's servers into the warden and points the client at them. */
export function wrapClient(options: WrapOptions): WrapResult {
  const { client } = options;
  const configPath = realpathSync(options.configPath);
  const dataDir = resolve(options.dataDir);
  // The file's servers will run as this user, from the warden: a file another user may write is refused.
  checkPrivate(configPath, `${CLIENT_LABELS[client]}'s config file`);
  checkDataDir(dataDir);
  const text = readFileSync(configPath, "utf8");
  const root = parseFile(configPath, text);
  const paths = dataPaths(dataDir);
  const serversPath = resolve(options.serversPath ?? paths.servers);
  const { text: serversText, servers } = readServers(serversPath);
  const tokens = readTokens(dataDir);
  const token = tokens?.grants[client] ?? newToken();
  const state = readState(dataDir);
  const earlier = state.files[configPath];
  if (earlier && earlier.servers !== serversPath)
    throw new Error(
      `${configPath} is wrapped into ${earlier.servers}; wrap it with that servers file or unwrap it first`,
    );
  const identity: WardenIdentity = {
    url: options.wardenUrl,
    tokens: Object.values(tokens?.grants ?? {}),
    scripts: options.bridge.args,
  };
  const reach = { url: options.wardenUrl, token, dataDir, bridge: options.bridge };

  const entries: EntryResult[] = [];
  const moves: (MovedEntry & { node: JsonNode; value: Record<string, unknown> })[] = [];
  for (const container of serverContainers(client, configPath, root)) {
    const node = nodeAt(root, container);
    if (node?.type !== "object") continue;
    for (const property of node.properties ?? []) {
      const label = entryLabel(container, property.key);
      const entry = property.value.value;
      const reached = wardenServerOf(entry, identity);
      if (reached !== undefined) {
        entries.push({ label, outcome: "already-wrapped", server: reached });
        continue;
      }
      if (isDisabled(entry)) {
        entries.push({ label, outcome: "disabled", note: "turned off in the client" });
        continue;
      }
      const moved = serverConfigOf(entry, projectFolder(client, configPath, container));
      if ("problem" in moved) {
        entries.push({ label, outcome: "unsupported", note: moved.problem });
        continue;
      }
      const signIn = remoteSignIn(entry);
      if (!signIn.move) {
        entries.push({ label, outcome: "unsupported", note: signIn.problem });
        continue;
      }
      const { server, added } = allocate(property.key, moved.config, servers);
      entries.push({ label, outcome: "moved", server, ...(signIn.note ? { note: signIn.note } : {}) });
      moves.push({
        path: [...container, property.key],
        server,
        added,
        config: moved.config,
        original: text.slice(property.value.offset, property.value.offset + property.value.length),
        node: property.value,
        value: wrappedEntry(client, entry as Record<string, unknown>, server, reach),
      });
    }
  }
  if (moves.length === 0) return { configPath, serversPath, changed: false, grant: client, entries };

  // Replace from the end of the file backwards so earlier offsets stay valid.
  let wrapped = text;
  for (const move of [...moves].sort((a, b) => b.node.offset - a.node.offset)) {
    wrapped = replaceValue(wrapped, move.node, move.value);
  }
  parseFile(configPath, wrapped);

  const now = options.now ?? new Date();
  const backupDir = join(dataDir, "backups");
  mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  const backup = join(
    backupDir,
    `${client}-${now.toISOString().replace(/[:.]/g, "-")}-${basename(configPath)}`,
  );
  writeFileAtomic(backup, text);

  let newServers = serversText;
  for (const move of moves) if (move.added) newServers = addServer(newServers, move.server, move.config);
  writeFileAtomic(serversPath, newServers);

  const grantCreated = !tokens?.grants[client];
  if (grantCreated) {
    const current = tokens ?? ensureTokens(paths.tokens);
    writeJson(paths.tokens, { ...current, grants: { ...current.grants, [client]: token } });
  }

  const record = earlier ?? { client, servers: serversPath, grantCreated, steps: [] };
  record.steps.push({
    at: now.toISOString(),
    backup,
    written: sha256(wrapped),
    wardenUrl: options.wardenUrl,
    entries: moves.map(({ path, server, added, config, original }) => ({
      path,
      server,
      added,
      config,
      original,
    })),
  });
  state.files[configPath] = record;
  writeJson(statePath(dataDir), state);

  // The wrapped file holds the client's token: user-only, whatever mode the client gave it (often 0644).
  writeFileAtomic(configPath, wrapped, 0o600);
  return { configPath, serversPath, changed: true, backup, grant: client, entries };
}

/** Unwrap was asked for a client (or file) that is not wrapped: nothing to undo. */
export class NotWrappedError extends Error {}

/** Which wrapped file of a client to unwrap. */
function recordFor(state: WrapState, options: UnwrapOptions): [string, FileRecord] {
  const label = CLIENT_LABELS[options.client];
  if (options.configPath) {
    const path = existsSync(options.configPath)
      ? realpathSync(options.configPath)
      : resolve(options.configPath);
    const record = state.files[path];
    if (!record || record.client !== options.client)
      throw new NotWrappedError(`${label} is not wrapped in ${path}`);
    return [path, record];
  }
  const mine = Object.entries(state.files).filter(([, r]) => r.client === options.client);
  const [only] = mine;
  if (!only) throw new NotWrappedError(`${label} is not wrapped`);
  if (mine.length > 1)
    throw new Error(
      `${label} has ${mine.length} wrapped files; pass --config with one of: ${mine.map(([p]) => p).join(", ")}`,
    );
  return only;
}

/** Puts a client's file back as it was and takes the servers it added out of the servers file. */
export function unwrapClient(options: UnwrapOptions): UnwrapResult {
  const dataDir = resolve(options.dataDir);
  const state = readState(dataDir);
  const [configPath, record] = recordFor(state, options);
  if (!existsSync(configPath))
    throw new Error(`${configPath} is gone; its original is kept in ${record.steps[0]?.backup}`);
  const current = readFileSync(configPath, "utf8");
  const tokens = readTokens(dataDir);
  const { text: serversText, servers } = readServers(record.servers);

  let text = current;
  let exact = true;
  const restored: string[] = [];
  for (const step of [...record.steps].reverse()) {
    if (sha256(text) === step.written && existsSync(step.backup)) {
      text = readFileSync(step.backup, "utf8");
      continue;
    }
    // Changed since this wrap: put back each entry that still reaches the warden, keep everything else.
    exact = false;
    const identity: WardenIdentity = { url: step.wardenUrl, tokens: Object.values(tokens?.grants ?? {}) };
    for (const entry of [...step.entries].reverse()) {
      const node = nodeAt(parseFile(configPath, text), entry.path);
      if (!node || wardenServerOf(node.value, identity) !== entry.server) continue;
      text = replaceText(text, node, entry.original);
      restored.push(entryLabel(entry.path.slice(0, -1), entry.path.at(-1) ?? ""));
    }
  }
  if (text !== current) writeFileAtomic(configPath, text, statSync(configPath).mode & 0o777);

  delete state.files[configPath];
  // A server another wrapped file also reaches stays; that file now owns it, and its unwrap removes it.
  const stillUsed = new Map<string, [string, MovedEntry]>();
  for (const [path, other] of Object.entries(state.files)) {
    if (other.servers !== record.servers) continue;
    for (const step of other.steps)
      for (const entry of step.entries) stillUsed.set(entry.server, [path, entry]);
  }
  let newServers = serversText;
  const removedServers: string[] = [];
  const keptServers: { server: string; why: string }[] = [];
  for (const entry of record.steps.flatMap((s) => s.entries).filter((e) => e.added)) {
    const now = servers.get(entry.server);
    const user = stillUsed.get(entry.server);
    if (!now) continue;
    if (user) {
      user[1].added = true;
      keptServers.push({ server: entry.server, why: `still used by ${user[0]}` });
    } else if (canonicalJson(now) !== canonicalJson(entry.config))
      keptServers.push({ server: entry.server, why: "changed since it was moved" });
    else {
      const container = nodeAt(parseJsonc(newServers), ["mcpServers"]);
      if (container) newServers = removeProperty(newServers, container, entry.server);
      removedServers.push(entry.server);
    }
  }
  if (newServers !== serversText) writeFileAtomic(record.servers, newServers);

  // Likewise the grant: revoked with the last file of the client that it was created for.
  const heir = Object.values(state.files).find((r) => r.client === options.client);
  if (heir && record.grantCreated) heir.grantCreated = true;
  const grantRemoved = record.grantCreated && !heir && tokens?.grants[options.client] !== undefined;
  if (grantRemoved && tokens) {
    const { [options.client]: _revoked, ...grants } = tokens.grants;
    writeJson(dataPaths(dataDir).tokens, { ...tokens, grants });
  }
  writeJson(statePath(dataDir), state);
  return { configPath, exact, restored, removedServers, keptServers, grantRemoved };
}

/** Every client config file on this machine (or in the project folder), with its servers counted. */
export function findClientConfigs(place: Place, warden: WardenIdentity): FoundConfig[] {
  const found: FoundConfig[] = [];
  for (const client of CLIENTS) {
    for (const path of clientConfigPaths(client, place)) {
      if (!existsSync(path)) continue;
      const base = { client, label: CLIENT_LABELS[client], path };
      try {
        const root = parseJsonc(readFileSync(path, "utf8"));
        const values = serverContainers(client, path, root).flatMap((c) =>
          (nodeAt(root, c)?.properties ?? []).map((p) => p.value.value),
        );
        const wrapped = values.filter((v) => wardenServerOf(v, warden) !== undefined).length;
        found.push({ ...base, servers: values.length, wrapped });
      } catch (error) {
        found.push({ ...base, servers: 0, wrapped: 0, error: (error as Error).message });
      }
    }
  }
  return found;
}

/** The file `wrap` uses for a client when none is named: the first of its usual files with servers in it. */
export function defaultConfigPath(
  client: ClientId,
  place: Place,
  warden: WardenIdentity,
): string | undefined {
  const found = findClientConfigs(place, warden).filter((f) => f.client === client);
  return (found.find((f) => f.servers > 0) ?? found[0])?.path;
}
