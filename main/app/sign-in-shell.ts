/**
 * What the tray app gives the core for upstream sign-in: the system keychain (Electron's safeStorage) to
 * seal tokens with, and the user's browser to open consent pages in. The core never imports electron:
 * it gets these two as plain functions.
 */
import type { SecretBox } from "../core/upstream-auth/secret-box.js";
import { platformBox } from "../core/upstream-auth/secret-box.js";

/** The part of Electron's `safeStorage` used. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
}

/** The keychain box, when the platform has a keychain (else the core's key file is used). */
export function keychainBox(safeStorage: SafeStorageLike): SecretBox | undefined {
  return safeStorage.isEncryptionAvailable() ? platformBox(safeStorage) : undefined;
}

/** Whether a sign-in page may be opened: http(s), no credentials in it, plain http only to loopback. */
export function isSignInUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== "" || parsed.password !== "") return false;
  if (parsed.protocol === "https:") return true;
  return parsed.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}

/** Opens a consent page in the user's browser, never inside the app. */
export function signInOpener(openExternal: (url: string) => Promise<void>): (url: string) => void {
  return (url) => {
    // SECURITY: the URL comes from the upstream's metadata: only web URLs reach shell.openExternal.
    if (isSignInUrl(url)) openExternal(url).catch(() => {});
  };
}
