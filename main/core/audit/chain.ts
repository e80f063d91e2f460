/**
 * The audit log's chain. Every line starts with its sequence number and the SHA-256 of the line before it
 * (`{"seq":12,"prev":"<64 hex>",…}`), so editing, deleting, inserting or reordering a line breaks the link
 * to the next one. Every so often a checkpoint line carries an HMAC of the chain up to it.
 *
 * Why HMAC-SHA256 with a key in the data folder: a bare hash chain proves nothing against someone who edits
 * a line and recomputes every hash after it; a signed checkpoint cannot be recomputed without the key. It
 * proves that the records up to the last checkpoint are the ones this data folder's warden wrote, against
 * anyone who can change the log but cannot read the key (an agent or tool given write access to the file, a
 * copy of the log shipped elsewhere, a backup restored over it). It does not prove anything against someone
 * who can read the key (the same user account, root): they can rewrite the log and sign it again. Records
 * after the last checkpoint are chained but not yet signed. A symmetric key is enough because the one who
 * verifies is the one who signs; a public-key signature would only help a verifier who must not sign.
 */
import { createHash, createHmac, hash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";

/** What the first line of a log links to. */
export const GENESIS = "0".repeat(64);

/** The SHA-256 (hex) of a line's bytes, without its newline. */
export function lineHash(line: string | Uint8Array): string {
  return hash("sha256", line, "hex");
}

/** A line as written: the chain fields first, then the fields of `body` (JSON.stringify of an object). */
export function chainedLine(seq: number, prev: string, body: string): string {
  return body === "{}"
    ? `{"seq":${seq},"prev":"${prev}"}`
    : `{"seq":${seq},"prev":"${prev}",${body.slice(1)}`;
}

/** A line's place in the chain. */
export interface ChainFields {
  seq: number;
  prev: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The chain fields of a parsed line, or undefined for a line written before chaining. */
export function chainFields(entry: unknown): ChainFields | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const { seq, prev } = entry as { seq?: unknown; prev?: unknown };
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (typeof prev !== "string" || !HEX64.test(prev)) return undefined;
  return { seq, prev };
}

/** Whether a parsed line has any chain field at all (a malformed one is not "before chaining"). */
export function claimsChain(entry: unknown): boolean {
  return typeof entry === "object" && entry !== null && ("seq" in entry || "prev" in entry);
}

/**
 * The audit key: 32 random bytes as hex in a user-only file, created on first use. A key file that others
 * can read is made user-only again (as tokens.json is); one that is not 64 hex digits is an error, so a
 * damaged key never silently starts a new, unrelated chain.
 */
export function loadAuditKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const created = randomBytes(32).toString("hex");
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${created}\n`);
      } finally {
        closeSync(fd);
      }
      text = created;
    } catch (race) {
      if ((race as NodeJS.ErrnoException).code !== "EEXIST") throw race;
      text = readFileSync(path, "utf8");
    }
  }
  const hex = text.trim();
  if (!HEX64.test(hex))
    throw new Error(`the audit key ${path} is damaged (not 64 hex digits); move it aside to start a new key`);
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return Buffer.from(hex, "hex");
}

/** A short public name of a key, so a checkpoint says which key signed it without revealing it. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** HMAC-SHA256 (hex) of `text` for one purpose ("checkpoint", "head", "snapshot"): no MAC fits another. */
export function mac(key: Buffer, purpose: string, text: string): string {
  return createHmac("sha256", key).update(`mcp-warden audit ${purpose}\n${text}`).digest("hex");
}

/** Whether `given` is the MAC of `text` for `purpose`, compared in constant time. */
export function macMatches(key: Buffer, purpose: string, text: string, given: unknown): boolean {
  if (typeof given !== "string" || !HEX64.test(given)) return false;
  return timingSafeEqual(Buffer.from(mac(key, purpose, text), "hex"), Buffer.from(given, "hex"));
}

/** What a checkpoint signs: its own place in the chain (which covers every line before it) and its time. */
export function checkpointText(seq: number, prev: string, ts: number): string {
  return `${seq}\n${prev}\n${ts}`;
}
