/**
 * How a client tells the real warden from a process that took its port: the warden holds a key in the
 * user-only data folder (warden.key) and answers a challenge on an endpoint that needs no credential,
 * `GET /.well-known/mcp-warden?nonce=<hex>`, with its pid and HMAC-SHA256(key, nonce + its own port + its
 * pid). A client that can read the key (the same user) sends a fresh random nonce and checks the answer
 * before it sends any token. An impostor cannot answer without the key; relaying the challenge to the real
 * warden does not help either, because the real warden mixes in the port it listens on, not the
 * impostor's. The proven pid lets a long-lived client (connect) tell cheaply that the port is still the
 * warden's: while that process lives it holds the port, which no other user can bind alongside it.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./config/data-dir.js";
import { readSecretFile } from "./config/private-files.js";

/** The path of the challenge endpoint. */
export const PROOF_PATH = "/.well-known/mcp-warden";

/** Nonces are 16–64 random bytes, hex. */
export const NONCE_PATTERN = /^[0-9a-f]{32,128}$/;

/** The key file in a data folder. */
export function wardenKeyPath(dataDir: string): string {
  return join(dataDir, "warden.key");
}

/** Reads the data folder's warden key, creating it (user-only) on first use. */
export function ensureWardenKey(dataDir: string): string {
  const path = wardenKeyPath(dataDir);
  if (!existsSync(path)) writeFileAtomic(path, `${randomBytes(32).toString("hex")}\n`);
  return readSecretFile(path, "the warden key");
}

/** The data folder's warden key, or undefined when there is none this user can read. */
export function readWardenKey(dataDir: string): string | undefined {
  const path = wardenKeyPath(dataDir);
  if (!existsSync(path)) return undefined;
  return readSecretFile(path, "the warden key");
}

/** The proof for a nonce: HMAC-SHA256 over the nonce, the port the answer comes from and the pid. */
export function proofFor(key: string, nonce: string, port: number, pid: number): string {
  return createHmac("sha256", key).update(`mcp-warden proof\n${nonce}\n${port}\n${pid}`).digest("hex");
}

/** True while the process `pid` runs as this user (EPERM: another user's process reused the pid). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why a warden could not be verified (the client sent nothing secret). */
export class UnverifiedWardenError extends Error {}

/**
 * Asks the process at `base` (a loopback origin) to prove it holds `key`; resolves with its pid when it
 * did, throws UnverifiedWardenError saying why not otherwise. Only the nonce is sent.
 */
export async function verifyWarden(base: string, key: string, timeoutMs = 10_000): Promise<number> {
  const url = new URL(base);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const nonce = randomBytes(32).toString("hex");
  const fail = (why: string): never => {
    throw new UnverifiedWardenError(
      `the process at ${url.origin} is not verified as this data folder's warden (${why}); no token was sent`,
    );
  };
  let answer: { proof?: unknown; pid?: unknown };
  try {
    const res = await fetch(`${url.origin}${PROOF_PATH}?nonce=${nonce}`, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    if (!res.ok) fail(`it answered the challenge with HTTP ${res.status}`);
    answer = (await res.json()) as typeof answer;
  } catch (error) {
    if (error instanceof UnverifiedWardenError) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return fail(`the challenge failed: ${cause ?? (error as Error).message}`);
  }
  const pid = answer?.pid;
  if (typeof pid !== "number" || !Number.isInteger(pid)) return fail("its proof is wrong");
  const expected = Buffer.from(proofFor(key, nonce, port, pid), "hex");
  const given = typeof answer?.proof === "string" ? Buffer.from(answer.proof, "hex") : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) fail("its proof is wrong");
  return pid;
}

/**
 * A fetch for a long-lived client of a verified warden: before each request it checks that the proven
 * process still runs, and when it does not (the warden stopped, and another process may have its port),
 * proves the warden again before anything is sent — failing the request if that fails.
 */
export function verifiedFetch(base: string, key: string, pid: number): typeof fetch {
  let proven = pid;
  return async (input, init) => {
    if (!processAlive(proven)) proven = await verifyWarden(base, key);
    return fetch(input, init);
  };
}
