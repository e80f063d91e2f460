/**
 * The PATH a user's terminal has. macOS starts apps from Finder, the Dock or at login with launchd's PATH
 * (`/usr/bin:/bin:/usr/sbin:/sbin`), and Linux desktop launchers skip what ~/.bashrc adds: a wrapped server
 * started with `npx`, `uvx` or `node` then fails with `spawn npx ENOENT`. The app asks the user's own
 * shell, started as a login interactive shell (so it reads ~/.zprofile, ~/.zshrc, ~/.bash_profile…), to
 * print PATH between markers (rc files may print banners), with a timeout; when that fails it takes the
 * inherited PATH plus the usual install folders that exist (Homebrew, /usr/local, Volta, nvm, ~/.local).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** How long the login shell may take to print its PATH. */
export const SHELL_PATH_TIMEOUT_MS = 5_000;

const MARKER = "__MCP_WARDEN_PATH__";

/** Where to ask: the shell, the environment it starts with, the home folder, how long to wait. */
export interface ShellPathOptions {
  /** The user's shell (`$SHELL`); none → the fallback only. */
  shell: string | undefined;
  /** The environment the app was started with. */
  env: NodeJS.ProcessEnv;
  home: string;
  timeoutMs?: number;
}

/** Where PATH came from: the login shell, or the fallback (and why). */
export type ShellPath = { path: string; from: "shell" } | { path: string; from: "fallback"; reason: string };

/** Joins PATH lists in order, keeping the first of each folder and dropping empty entries. */
export function mergePaths(...lists: (string | undefined)[]): string {
  const seen = new Set<string>();
  for (const list of lists) for (const dir of (list ?? "").split(delimiter)) if (dir) seen.add(dir);
  return [...seen].join(delimiter);
}

/** Node version folders (`v20.11.1`) newest first. */
function newestFirst(versions: string[]): string[] {
  const parts = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  return [...versions].sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (y[i] ?? 0) - (x[i] ?? 0);
      if (d) return d;
    }
    return 0;
  });
}

/** The usual install folders for node, npx and uvx that exist on this machine. */
export function commonDirs(home: string, env: NodeJS.ProcessEnv = {}): string[] {
  const nvm = env.NVM_DIR || join(home, ".nvm");
  const nvmVersions = join(nvm, "versions", "node");
  let nvmNewest: string[] = [];
  try {
    nvmNewest = newestFirst(readdirSync(nvmVersions).filter((v) => /^v\d/.test(v)))
      .slice(0, 1)
      .map((v) => join(nvmVersions, v, "bin"));
  } catch {
    // No nvm.
  }
  const candidates = [
    "/opt/homebrew/bin",
    "/opt/homebrew/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    join(env.VOLTA_HOME || join(home, ".volta"), "bin"),
    // nvm's `current` link (NVM_SYMLINK_CURRENT), else its newest installed Node.
    join(nvm, "current", "bin"),
    ...nvmNewest,
    join(home, ".local", "bin"),
    join(home, ".cargo", "bin"),
    join(home, ".bun", "bin"),
    join(home, ".asdf", "shims"),
    join(home, "Library", "pnpm"),
  ];
  return candidates.filter((dir) => existsSync(dir));
}

/** The inherited PATH plus the common folders that exist. */
export function fallbackPath(env: NodeJS.ProcessEnv, home: string): string {
  return mergePaths(env.PATH, commonDirs(home, env).join(delimiter));
}

/** Runs the shell as a login interactive shell and reads PATH between the markers; rejects on failure. */
function askShell(shell: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // printf and printenv exist in every shell (fish too); the markers fence off whatever rc files print.
    const command = `printf '%s' '${MARKER}'; printenv PATH; printf '%s' '${MARKER}'`;
    // detached: its own session, so an interactive shell never takes (or stops on) the terminal of an
    // `npm start`, and the whole group can be killed on timeout.
    const child = spawn(shell, ["-i", "-l", "-c", command], {
      env: { ...env, DISABLE_AUTO_UPDATE: "true" },
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    });
    let out = "";
    let done = false;
    const finish = (error: Error | undefined, path?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(path ?? "");
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      finish(new Error(`${shell} did not print PATH within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const start = out.indexOf(MARKER);
      const end = start < 0 ? -1 : out.indexOf(MARKER, start + MARKER.length);
      if (end >= 0) finish(undefined, out.slice(start + MARKER.length, end).trim());
    });
    child.on("error", (error) => finish(error));
    child.on("close", (code) => finish(new Error(`${shell} exited (code ${code}) without printing PATH`)));
  });
}

/**
 * The login shell's PATH, with inherited folders it lacks appended; else the fallback. Never throws and
 * never waits longer than the timeout.
 */
export async function resolveShellPath(options: ShellPathOptions): Promise<ShellPath> {
  const { shell, env, home } = options;
  const fallback = (reason: string): ShellPath => ({
    path: fallbackPath(env, home),
    from: "fallback",
    reason,
  });
  if (!shell) return fallback("SHELL is not set");
  try {
    const path = await askShell(shell, env, options.timeoutMs ?? SHELL_PATH_TIMEOUT_MS);
    if (!path) return fallback(`${shell} printed an empty PATH`);
    return { path: mergePaths(path, env.PATH), from: "shell" };
  } catch (error) {
    return fallback((error as Error).message);
  }
}

/**
 * Sets `env.PATH` to the login shell's (macOS and Linux; Windows apps get the user's PATH already) before
 * any upstream is spawned: upstream processes inherit it, and Node looks commands up in it.
 */
export async function adoptLoginShellPath(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  user: { shell: string | null | undefined; home: string },
  log: (message: string) => void,
): Promise<ShellPath | undefined> {
  if (platform === "win32") return undefined;
  const result = await resolveShellPath({
    shell: env.SHELL || user.shell || undefined,
    env,
    home: user.home,
  });
  env.PATH = result.path;
  if (result.from === "fallback") log(`PATH: ${result.reason}; using ${result.path}`);
  return result;
}
