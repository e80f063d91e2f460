/**
 * A member's Ed25519 key pair and signed statements. The private key lives in the data folder, readable by
 * the user only; the public key (base64url of its raw 32 bytes) is what teammates pin in their settings.
 * Everything one member tells the others that matters (a Deny-all switch, an approval answer, an approval
 * request) travels as a statement signed with this key, so a writer to Redis without a member's key can
 * disturb the team (refuse calls) but never approve a call or turn a Deny-all off.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../canonical.js";
import { writeFileAtomic } from "../config/data-dir.js";

/** The key file's name in the data folder. */
export const KEY_FILE = "team-key.pem";

/** This member's keys. */
export interface MemberKeys {
  privateKey: KeyObject;
  /** base64url of the raw 32-byte public key. */
  publicKey: string;
}

/** Reads the member's key pair from the data folder, making one (user-only) on first use. */
export function loadOrCreateKeys(dataDir: string): MemberKeys {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileAtomic(path, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
  }
  // A key file others can read is a key others can sign with: keep it the user's alone.
  chmodSync(path, 0o600);
  const privateKey = createPrivateKey(readFileSync(path, "utf8"));
  return { privateKey, publicKey: publicKeyText(createPublicKey(privateKey)) };
}

/** A public key as teammates pin it. */
export function publicKeyText(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return jwk.x;
}

/** A pinned public key, or undefined when the text is not one. */
export function parsePublicKey(text: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: text }, format: "jwk" });
  } catch {
    return undefined;
  }
}

/** What every statement says about itself: which team, who, when, and a nonce that makes it unique. */
export interface StatementBase {
  kind: string;
  team: string;
  by: string;
  /** Epoch milliseconds on the signer's clock. */
  at: number;
  nonce: string;
}

/** A statement and its signature, as it travels through Redis. */
export interface Signed<S extends StatementBase> {
  statement: S;
  /** base64url Ed25519 signature of the statement's canonical JSON. */
  sig: string;
}

/** Signs a statement (the nonce is added here). */
export function signStatement<S extends StatementBase>(
  keys: MemberKeys,
  statement: Omit<S, "nonce">,
): Signed<S> {
  const full = { ...statement, nonce: randomBytes(12).toString("base64url") } as S;
  const sig = sign(null, Buffer.from(canonicalJson(full)), keys.privateKey).toString("base64url");
  return { statement: full, sig };
}

/**
 * Checks a signed statement against the pinned keys: the signer must be a pinned member and the signature
 * that member's. Returns why not, or undefined when it holds.
 */
export function checkSignature(
  signed: Signed<StatementBase>,
  pinned: ReadonlyMap<string, KeyObject>,
  team: string,
): string | undefined {
  const { statement } = signed;
  if (statement.team !== team) return `a statement for another team ("${statement.team}")`;
  const key = pinned.get(statement.by);
  if (!key) return `a statement signed as "${statement.by}", who is not a pinned member`;
  let valid = false;
  try {
    valid = verify(null, Buffer.from(canonicalJson(statement)), key, Buffer.from(signed.sig, "base64url"));
  } catch {
    valid = false;
  }
  return valid
    ? undefined
    : `a statement signed as "${statement.by}" whose signature is not that member's key`;
}

/** Whether a value has a signed statement's shape (what arrives from Redis is not trusted). */
export function isSigned(value: unknown): value is Signed<StatementBase> {
  if (value === null || typeof value !== "object") return false;
  const { statement, sig } = value as { statement?: unknown; sig?: unknown };
  if (typeof sig !== "string" || statement === null || typeof statement !== "object") return false;
  const s = statement as Record<string, unknown>;
  return (
    typeof s.kind === "string" &&
    typeof s.team === "string" &&
    typeof s.by === "string" &&
    typeof s.at === "number" &&
    typeof s.nonce === "string"
  );
}
