/**
 * Starting the whole core from a data folder: the one start-up path that `mcp-warden serve` and the tray
 * app share. Reads the policy, servers and tokens, starts the warden and the loopback HTTP server, and
 * records where it listens in runtime.json (for `mcp-warden connect`).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CLIENT_LABELS } from "../../shared/clients.js";
import { type BridgeCommand, reachesByBridge } from "./clients/client-configs.js";
import { defaultConfigPath, findClientConfigs, unwrapClient, wrapClient } from "./clients/client-wrap.js";
import { Grants } from "./clients/grants.js";
import { clientSnippets } from "./clients/snippets.js";
import { type dataPaths, ensureDataDir, ensureTokens, writeFileAtomic } from "./config/data-dir.js";
import { checkPrivate } from "./config/private-files.js";
import { readServersFile, type ServerConfig } from "./config/servers-config.js";
import { fileSettings, type SettingsStore } from "./config/settings.js";
import { watchFile } from "./config/watch.js";
import { denyAllOnSignal } from "./deny-all-signal.js";
import { tuneHeap } from "./heap.js";
import { startHttpServer, type WardenHttp } from "./http-server.js";
import { ensureWardenKey } from "./identity.js";
import { loadOrCreateKeys } from "./team/keys.js";
import { readTeamSettings } from "./team/settings.js";
import { Team } from "./team/team.js";
import { headlessBox, type SecretBox } from "./upstream-auth/secret-box.js";
import { UpstreamSignIn } from "./upstream-auth/sign-in.js";
import { TokenStore } from "./upstream-auth/token-store.js";
import { Warden } from "./warden.js";

/** The port the core listens on when none is given. */
export const DEFAULT_PORT = 17_430;

/** Name of the demo upstream that `--demo` adds. */
export const DEMO_SERVER_NAME = "virtualization-demo";

export interface RuntimeOptions {
  dataDir: string;
  /** Defaults to policy.json in the data folder. */
  policyPath?: string;
  /** Defaults to servers.json in the data folder. */
  serversPath?: string;
  port: number;
  /** Grants beyond tokens.json: name → token. */
  extraGrants?: Record<string, string>;
  /** Overrides the admin token of tokens.json. */
  adminToken?: string;
  /** Adds the stand-in virtualization server under DEMO_SERVER_NAME. */
  demo?: ServerConfig;
  /** Folder of the built UI, served at `/` when it holds an index.html. */
  uiDir?: string;
  /** Defaults to settings.json in the data folder. */
  settings?: SettingsStore;
  /** How a client that only starts stdio servers runs this CLI (for `connect`), when wrapping clients. */
  bridge?: BridgeCommand;
  /** Why clients that start the bridge cannot be wrapped now (the tray app run from a temporary copy). */
  bridgeRefused?: string;
  /**
   * Seals upstream OAuth tokens at rest: the tray app passes the system keychain (safeStorage); by default
   * the key is MCP_WARDEN_OAUTH_KEY or a key file (see secret-box.ts).
   */
  secretBox?: SecretBox;
  /** Opens a sign-in page in the user's browser (the tray app's shell); headless the UI opens it. */
  openBrowser?: (url: string) => void;
  /** Listen at once and connect the upstreams in the background (the tray app); see WardenOptions. */
  connectInBackground?: boolean;
}

/** The sealed file of upstream OAuth tokens, in the data folder. */
export const UPSTREAM_TOKENS_FILE = "upstream-tokens.enc";

/** A running core. */
export interface Runtime {
  warden: Warden;
  http: WardenHttp;
  paths: ReturnType<typeof dataPaths>;
  policyPath: string;
  serversPath: string;
  grants: Grants;
  adminToken: string;
  /** A fresh UI sign-in link (a one-time code in the fragment), when the UI is served. */
  uiLink(): string | undefined;
  close(): Promise<void>;
}

/** A start-up problem the user can fix (a missing or invalid file): its message is meant as it is. */
export class StartupError extends Error {}

function readable(path: string, what: string): void {
  try {
    readFileSync(path);
  } catch (error) {
    throw new StartupError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Runs a start-up step; its error is one for the user (a file to fix). */
function forUser<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

/** Starts the core. Throws `StartupError` for files the user has to fix. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  tuneHeap();
  const paths = forUser(() => ensureDataDir(resolve(options.dataDir)));
  const policyPath = resolve(options.policyPath ?? paths.policy);
  const serversPath = resolve(options.serversPath ?? paths.servers);
  // A policy or servers file named outside the data folder decides as much as the ones inside it.
  forUser(() => checkPrivate(policyPath, "the policy file"));
  forUser(() => checkPrivate(serversPath, "the servers file"));
  readable(policyPath, "policy file");
  readable(serversPath, "servers file");
  const wardenKey = forUser(() => ensureWardenKey(paths.dir));
  let servers: ReturnType<typeof readServersFile>;
  try {
    servers = readServersFile(serversPath);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  // The stand-in keeps its VMs in memory and asks clients nothing: one process serves every client, so
  // they all see the same VMs.
  const demo = options.demo ? { ...options.demo, share: true } : undefined;
  if (demo) servers.mcpServers[DEMO_SERVER_NAME] = demo;

  let tokens: ReturnType<typeof ensureTokens>;
  try {
    tokens = ensureTokens(paths.tokens);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const grants = new Grants(paths.tokens, tokens.grants, options.extraGrants ?? {});
  const adminToken = options.adminToken ?? tokens.admin;

  let sealer = options.secretBox;
  // Made on first use: a warden that never signs in to anything makes no key.
  const box = () => {
    sealer ??= headlessBox(paths.dir);
    return sealer;
  };
  let warden: Warden;
  const settings = options.settings ?? fileSettings(paths.dir);
  // How often a call waiting for a human tells its client it is still alive (progress), in milliseconds.
  const keepAlive = settings.get("approvalProgressMs");
  const team = joinTeam(settings, paths.dir);
  try {
    warden = await Warden.start({
      policyPath,
      servers,
      auditPath: paths.audit,
      pinsPath: paths.pins,
      grants,
      settings,
      ...(team ? { team } : {}),
      ...(options.connectInBackground ? { connectInBackground: true } : {}),
      signIn: new UpstreamSignIn({
        store: new TokenStore(join(paths.dir, UPSTREAM_TOKENS_FILE), () => box()),
        ...(options.openBrowser ? { openBrowser: options.openBrowser } : {}),
      }),
    });
  } catch (error) {
    await team?.close();
    throw new StartupError((error as Error).message);
  }
  const uiDir = options.uiDir && existsSync(join(options.uiDir, "index.html")) ? options.uiDir : undefined;
  let http: WardenHttp;
  try {
    http = await startHttpServer(warden, {
      port: options.port,
      grants,
      adminToken,
      wardenKey,
      ...(uiDir ? { uiDir } : {}),
      ...(typeof keepAlive === "number" && Number.isInteger(keepAlive) && keepAlive >= 100
        ? { keepAliveMs: keepAlive }
        : {}),
    });
  } catch (error) {
    await warden.close();
    await team?.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw code === "EADDRINUSE"
      ? new StartupError(
          `port ${options.port} is in use (is another mcp-warden running?); pick one with --port`,
        )
      : error;
  }
  // Other processes edit these files too (`mcp-warden wrap`, the user): pick their edits up live.
  const reloadServers = async () => {
    try {
      const edited = readServersFile(serversPath);
      if (demo) edited.mcpServers[DEMO_SERVER_NAME] = demo;
      await warden.updateServers(edited);
    } catch (error) {
      process.stderr.write(`mcp-warden: ${(error as Error).message}; the running servers stay as they are\n`);
    }
  };
  if (options.bridge) {
    const bridge = options.bridge;
    const place = () => ({
      platform: process.platform,
      home: homedir(),
      env: process.env,
      cwd: process.cwd(),
    });
    const identity = () => ({
      url: http.url,
      tokens: grants.list().map((g) => g.token),
      scripts: bridge.args.slice(-1),
    });
    warden.setClients({
      find: () => findClientConfigs(place(), identity()),
      snippets: (server) =>
        clientSnippets(server, { url: http.url, dataDir: paths.dir, bridge }, place(), (client) =>
          defaultConfigPath(client, place(), identity()),
        ),
      wrap: (client, path) => {
        if (options.bridgeRefused && reachesByBridge(client)) throw new Error(options.bridgeRefused);
        const configPath = path ?? defaultConfigPath(client, place(), identity());
        if (!configPath) throw new Error(`no ${CLIENT_LABELS[client]} config found on this machine`);
        return wrapClient({
          client,
          configPath,
          dataDir: paths.dir,
          serversPath,
          wardenUrl: http.url,
          bridge,
        });
      },
      unwrap: (client, path) =>
        unwrapClient({ client, dataDir: paths.dir, ...(path ? { configPath: path } : {}) }),
    });
  }
  const unwatch = [
    watchFile(paths.tokens, () => grants.reload(), "tokens.json"),
    watchFile(serversPath, () => void reloadServers(), "the servers file"),
    denyAllOnSignal(warden),
  ];
  writeFileAtomic(
    paths.runtime,
    `${JSON.stringify({ url: http.url, port: http.port, pid: process.pid }, null, 2)}\n`,
  );

  return {
    warden,
    http,
    paths,
    policyPath,
    serversPath,
    grants,
    adminToken,
    uiLink: () => (uiDir ? `${http.url}/#code=${encodeURIComponent(http.newUiCode())}` : undefined),
    close: async () => {
      for (const stop of unwatch) stop();
      await http.close();
      await warden.close();
      await team?.close();
      rmSync(paths.runtime, { force: true });
    },
  };
}

/** The team named in the settings, connecting in the background; none when the settings name no team. */
function joinTeam(settings: SettingsStore, dataDir: string): Team | undefined {
  let team: Team | undefined;
  try {
    const teamSettings = readTeamSettings(settings);
    if (teamSettings) team = new Team(teamSettings, loadOrCreateKeys(dataDir));
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  team?.start();
  return team;
}
