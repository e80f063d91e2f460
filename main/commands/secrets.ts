/**
 * Where the commands' secrets come from: a file only you can read, or standard input when the file is
 * given as `-` (a pipe no other local user can read: `pass show warden | mcp-warden serve --token-file -`).
 * Never from a flag, which every local user can read in the process list.
 */
import { readSecretFile } from "../core/config/private-files.js";
import { userError } from "./common.js";

/** The file name that means standard input. */
export const STDIN = "-";

/** One secret a command needs: where it is, and the option that said so (for the messages). */
export interface SecretSource {
  /** The option as the user gave it ("--admin-token-file"). */
  option: string;
  /** A path, or STDIN. */
  file: string;
  /** What the file is, as errors about it say ("the admin token file"). */
  what: string;
}

/** Standard input as the commands read it (process.stdin, or a stand-in). */
export interface SecretInput extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

/**
 * Reads each secret, in order: from its user-only file, or, for `-`, all of standard input (trimmed).
 * Standard input holds one secret, so at most one source may be `-`; a terminal is refused (what is typed
 * there shows on screen).
 */
export async function readSecrets(
  sources: readonly SecretSource[],
  input: SecretInput = process.stdin,
): Promise<string[]> {
  const piped = sources.filter((s) => s.file === STDIN);
  if (piped.length > 1)
    throw userError(
      `standard input holds one secret, but ${piped.map((s) => s.option).join(" and ")} all read it; ` +
        "give all but one as files",
    );
  let fromStdin: string | undefined;
  if (piped[0]) {
    if (input.isTTY)
      throw userError(
        `${piped[0].option} reads standard input, which is a terminal here (what is typed shows on ` +
          "screen): pipe the secret in, e.g. pass show mcp-warden | mcp-warden …",
      );
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    fromStdin = Buffer.concat(chunks).toString("utf8").trim();
    if (!fromStdin) throw userError(`${piped[0].option} read standard input, which was empty`);
  }
  return sources.map((s) => (s.file === STDIN ? (fromStdin as string) : readSecretFile(s.file, s.what)));
}

/** Reads one secret from its file or standard input (see readSecrets). */
export async function readSecret(source: SecretSource, input?: SecretInput): Promise<string> {
  const [secret] = await readSecrets([source], input);
  return secret as string;
}
