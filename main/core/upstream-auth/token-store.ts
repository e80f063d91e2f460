/**
 * What the warden keeps per upstream it signed in to: the tokens, the client registration and the
 * discovery results, all in one sealed file (0600). Nothing here is ever sent to a client, the audit log
 * or the UI; the UI sees only `SignInInfo`.
 */
import { existsSync, readFileSync } from "node:fs";
import type { OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { writeFileAtomic } from "../config/data-dir.js";
import type { SecretBox } from "./secret-box.js";

/** One server's sign-in. */
export interface StoredSignIn {
  /** The server URL it is for: a server whose URL changed starts over. */
  url: string;
  tokens?: OAuthTokens;
  /** Epoch milliseconds when the access token expires, when the server said. */
  expiresAt?: number;
  client?: OAuthClientInformationMixed;
  /** The redirect URI the client was registered with (the warden's port may change between runs). */
  redirectUri?: string;
  discovery?: OAuthDiscoveryState;
}

/** The sealed file of every server's sign-in. */
export class TokenStore {
  readonly #path: string;
  readonly #box: () => SecretBox;
  #entries: Record<string, StoredSignIn> | undefined;

  /** `box` is asked for only once a file is read or written: no key is made for a warden without OAuth. */
  constructor(path: string, box: () => SecretBox) {
    this.#path = path;
    this.#box = box;
  }

  #all(): Record<string, StoredSignIn> {
    if (this.#entries) return this.#entries;
    if (!existsSync(this.#path)) {
      this.#entries = {};
      return this.#entries;
    }
    const text = this.#box().open(readFileSync(this.#path, "utf8").trim());
    this.#entries = JSON.parse(text) as Record<string, StoredSignIn>;
    return this.#entries;
  }

  /** The server's sign-in, when it is for this URL. */
  get(server: string, url: string): StoredSignIn | undefined {
    const entry = this.#all()[server];
    return entry?.url === url ? entry : undefined;
  }

  /** Changes one server's sign-in and writes the file. */
  update(server: string, url: string, change: (entry: StoredSignIn) => StoredSignIn): StoredSignIn {
    const all = this.#all();
    const current = all[server]?.url === url ? (all[server] as StoredSignIn) : { url };
    const next = change(current);
    const written = { ...all, [server]: next };
    writeFileAtomic(this.#path, `${this.#box().seal(JSON.stringify(written))}\n`, 0o600);
    this.#entries = written;
    return next;
  }

  /** Forgets one server's sign-in. */
  remove(server: string): boolean {
    const all = this.#all();
    if (!(server in all)) return false;
    const { [server]: _gone, ...rest } = all;
    writeFileAtomic(this.#path, `${this.#box().seal(JSON.stringify(rest))}\n`, 0o600);
    this.#entries = rest;
    return true;
  }
}
