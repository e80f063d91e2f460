/**
 * How upstream tokens are sealed at rest. The tray app passes Electron's `safeStorage` pair in (the OS
 * keychain holds the key); headless, the key is the user's: a passphrase in MCP_WARDEN_OAUTH_KEY, or a
 * random key in a key file (MCP_WARDEN_OAUTH_KEY_FILE, by default `oauth.key` in the data folder, 0600).
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/data-dir.js";

/** Seals and opens text. Both throw when they cannot (a wrong key, a keychain that is locked). */
export interface SecretBox {
  /** What protects the key, for the README's words in the UI and errors. */
  readonly kind: string;
  seal(plain: string): string;
  open(sealed: string): string;
}

const PREFIX = "aes-256-gcm:";

/** AES-256-GCM with a 32-byte key: `aes-256-gcm:` + base64(iv ‖ tag ‖ ciphertext). */
export function keyBox(key: Buffer, kind: string): SecretBox {
  if (key.length !== 32) throw new Error("the token key must be 32 bytes");
  return {
    kind,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error("the token file is not sealed with a key");
      const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new Error(`the token file cannot be opened with this key (${kind})`);
      }
    },
  };
}

/** The pair Electron's `safeStorage` offers, as the shell passes it in (the core never imports electron). */
export interface PlatformCrypto {
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
}

/** A box over the OS keychain (Electron's safeStorage). */
export function platformBox(crypto: PlatformCrypto): SecretBox {
  return {
    kind: "the system keychain",
    seal: (plain) => `os:${crypto.encryptString(plain).toString("base64")}`,
    open(sealed) {
      if (!sealed.startsWith("os:")) throw new Error("the token file was not sealed by the system keychain");
      return crypto.decryptString(Buffer.from(sealed.slice(3), "base64"));
    },
  };
}

/** The headless box: the passphrase in MCP_WARDEN_OAUTH_KEY, else the key file (made on first use). */
export function headlessBox(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const passphrase = env.MCP_WARDEN_OAUTH_KEY;
  if (passphrase) {
    // The salt is fixed: the passphrase alone has to open the file on any machine it is copied to.
    return keyBox(scryptSync(passphrase, "mcp-warden upstream tokens", 32), "MCP_WARDEN_OAUTH_KEY");
  }
  const path = env.MCP_WARDEN_OAUTH_KEY_FILE || join(dataDir, "oauth.key");
  if (!existsSync(path)) writeFileAtomic(path, `${randomBytes(32).toString("base64")}\n`, 0o600);
  else chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`the key file ${path} does not hold a 32-byte base64 key`);
  return keyBox(key, `the key file ${path}`);
}
