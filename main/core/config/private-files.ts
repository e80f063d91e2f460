/**
 * The data folder and the secrets the warden reads are the user's alone. A folder another local user
 * created first, or a file she may write, would let her choose the commands the warden runs (servers.json),
 * the tokens it accepts (tokens.json) or the policy it applies: the warden refuses to start on them and
 * says which path is wrong, why, and the command that fixes it. Windows has no POSIX owner and mode bits
 * (its folders are protected by ACLs), so the check is skipped there.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** A path another user owns or may write: its message names the path, the reason and the fix. */
export class NotPrivateError extends Error {}

/** The files of the data folder the warden reads (and backups/, whose files unwrap puts back). */
export const DATA_FILES = [
  "policy.json",
  "servers.json",
  "tokens.json",
  "settings.json",
  "pins.json",
  "wrapped.json",
  "runtime.json",
  "warden.key",
  "audit.jsonl",
  "audit.key",
  "audit.head",
  "audit.snapshot",
  "backups",
] as const;

function currentUid(): number | undefined {
  return process.platform === "win32" ? undefined : process.getuid?.();
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/**
 * Checks that `path` (followed through links) is owned by this user and not writable by group or others.
 * `readable: false` also refuses a file group or others may read (a secret). A missing path passes.
 */
export function checkPrivate(path: string, what: string, options: { readable?: boolean } = {}): void {
  const uid = currentUid();
  if (uid === undefined) return;
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  // A device (an audit log linked to /dev/null or /dev/full) is the system's and holds nothing another user
  // wrote; only a link the user made in the private folder can point at it.
  if (stats.isCharacterDevice()) return;
  const folder = stats.isDirectory();
  if (stats.uid !== uid) {
    throw new NotPrivateError(
      `${what} ${path} belongs to uid ${stats.uid}, not to you (uid ${uid}): another user could have ` +
        `written it; remove it, or take it over with chown ${folder ? "-R " : ""}${uid} ${path} after checking it`,
    );
  }
  if (stats.mode & 0o022) {
    throw new NotPrivateError(
      `${what} ${path} can be written by other users (mode ${modeText(stats.mode)}); ` +
        `chmod go-w ${path} after checking it`,
    );
  }
  if (options.readable === false && stats.mode & 0o044) {
    throw new NotPrivateError(
      `${what} ${path} can be read by other users (mode ${modeText(stats.mode)}); chmod 600 ${path}`,
    );
  }
}

/** Checks the data folder and each file of it the warden reads. */
export function checkDataDir(dir: string): void {
  checkPrivate(dir, "the data folder");
  for (const name of DATA_FILES) checkPrivate(join(dir, name), `the data folder's ${name}`);
}

/**
 * Reads a secret (a token) from a file that only this user can read and write; surrounding white space
 * (the newline an editor or `echo` adds) is dropped.
 */
export function readSecretFile(path: string, what: string): string {
  checkPrivate(path, what, { readable: false });
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new NotPrivateError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (!text) throw new NotPrivateError(`${what} ${path} is empty`);
  return text;
}
