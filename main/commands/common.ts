/** What the one-shot commands share: the data folder, the running warden's address, user errors. */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BridgeCommand } from "../core/clients/client-configs.js";
import { dataPaths, defaultDataDir } from "../core/config/data-dir.js";
import { checkDataDir } from "../core/config/private-files.js";
import type { ServerConfig } from "../core/config/servers-config.js";
import { readWardenKey, UnverifiedWardenError, verifiedFetch, verifyWarden } from "../core/identity.js";
import { StartupError } from "../core/runtime.js";

/** An error whose message is meant for the user as it is (the CLI exits with code 2). */
export function userError(message: string): Error {
  return new StartupError(message);
}

/** Runs `action`, turning any error it throws into one for the user. */
export function asUserError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    const { code, path, syscall } = error as NodeJS.ErrnoException;
    if (!code || !path) throw userError((error as Error).message);
    const verb = ["realpath", "lstat", "stat", "read", "scandir"].includes(syscall ?? "")
      ? "read"
      : syscall === "open"
        ? "open"
        : "write";
    throw userError(`cannot ${verb} ${path}: ${code}`);
  }
}

/** The data folder: `--data-dir`, or the per-user default. */
export function dataDirFrom(option: string | undefined): string {
  return resolve(option ?? defaultDataDir());
}

/**
 * The warden's base URL as clients reach it: `--url`, else where a running warden listens (runtime.json),
 * else the default port on loopback.
 */
export function wardenUrlFrom(option: string | undefined, dataDir: string, defaultPort: number): string {
  let text = option;
  const runtime = dataPaths(dataDir).runtime;
  if (text === undefined && existsSync(runtime)) {
    text = (JSON.parse(readFileSync(runtime, "utf8")) as { url?: string }).url;
  }
  text ??= `http://127.0.0.1:${defaultPort}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw userError(`--url must be a URL such as http://127.0.0.1:${defaultPort}, not "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw userError(`--url must be http(s), not "${text}"`);
  return url.origin;
}

/** The command line that runs this CLI from any environment: absolute node, absolute script. */
export function thisCli(): BridgeCommand {
  const script = process.argv[1];
  if (!script) throw userError("cannot tell where mcp-warden is installed");
  return { command: process.execPath, args: [realpathSync(script)] };
}

/**
 * The stand-in virtualization server that `serve --demo` runs as `virtualization-demo` (built next to the
 * CLI), so that `init --server virtualization-demo` reaches the same server.
 */
export function demoServer(): ServerConfig {
  const script = fileURLToPath(new URL("./demo/virtualization-server.js", import.meta.url));
  if (!existsSync(script)) throw userError(`the demo server is not built (${script}); run npm run build`);
  return { command: process.execPath, args: [script, "--mode", "testing"] };
}

/** The warden running on this data folder, if any: runtime.json names it and its process is alive. */
export function runningWarden(dataDir: string): { url: string; pid: number } | undefined {
  const path = dataPaths(dataDir).runtime;
  let runtime: { url?: unknown; pid?: unknown };
  try {
    runtime = JSON.parse(readFileSync(path, "utf8")) as typeof runtime;
  } catch {
    return undefined;
  }
  if (typeof runtime.url !== "string" || typeof runtime.pid !== "number") return undefined;
  try {
    process.kill(runtime.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; anything else: it is gone.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return { url: runtime.url, pid: runtime.pid };
}

/**
 * The warden a command is about to send a secret to, verified: the one runtime.json names (its process
 * alive), or the one at `explicitUrl`, proves it holds this data folder's key (identity.ts). A stale
 * runtime.json or a failed proof is a user error, and nothing secret has been sent. Returns its origin, and
 * a fetch that proves the warden again whenever its process has gone (see identity.ts).
 */
export async function verifiedWarden(
  dataDir: string,
  explicitUrl?: string,
): Promise<{ base: string; fetch: typeof fetch }> {
  asUserError(() => checkDataDir(dataDir));
  let base: string;
  if (explicitUrl !== undefined) {
    try {
      base = new URL(explicitUrl).origin;
    } catch {
      throw userError(
        `--url must be a URL such as http://127.0.0.1:17430/mcp/<server>, not "${explicitUrl}"`,
      );
    }
  } else {
    const runtime = dataPaths(dataDir).runtime;
    const running = runningWarden(dataDir);
    if (!running)
      throw userError(
        existsSync(runtime)
          ? `the warden is not running (${runtime} is left from one that stopped); start mcp-warden serve`
          : `the warden is not running (no ${runtime}); start mcp-warden serve`,
      );
    base = running.url;
  }
  const key = asUserError(() => readWardenKey(dataDir));
  if (!key)
    throw userError(
      `cannot verify the warden at ${base}: ${dataDir} has no warden.key (it is made when the warden first ` +
        "starts); pass the --data-dir of the warden you mean. No token was sent",
    );
  try {
    return { base, fetch: verifiedFetch(base, key, await verifyWarden(base, key)) };
  } catch (error) {
    if (error instanceof UnverifiedWardenError) throw userError(error.message);
    throw error;
  }
}
