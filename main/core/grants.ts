/**
 * Client grants: one named bearer token per client ("claude-desktop", "cursor"…), so the log says which
 * client called and `scope: "grant"` limits count per client. Grants live in tokens.json (user-only);
 * grants given on the command line live only as long as the process. Tokens are matched in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { GrantInfo } from "../../shared/contract.js";
import { newToken, type Tokens, writeFileAtomic } from "./data-dir.js";

/** Grant names: letters, digits, `_ . -`, as they appear in logs and configs. */
export const GRANT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The token in an `Authorization: Bearer …` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/i.exec(header ?? "")?.[1]?.trim() || undefined;
}

/** Compares a token against every candidate in constant time; returns the matching name. */
export function matchToken(token: string | undefined, candidates: readonly { name: string; hash: Buffer }[]) {
  if (!token) return undefined;
  const hash = digest(token);
  let found: string | undefined;
  for (const c of candidates) if (timingSafeEqual(hash, c.hash) && found === undefined) found = c.name;
  return found;
}

/** The grants a running warden accepts. */
export class Grants {
  readonly #path: string | undefined;
  readonly #fromFile = new Map<string, string>();
  readonly #fromCommandLine = new Map<string, string>();
  #hashes: { name: string; hash: Buffer }[] = [];

  /** Grants from tokens.json at `path` (when given) plus `commandLine` ones, which win on a name clash. */
  constructor(
    path: string | undefined,
    fileGrants: Record<string, string>,
    commandLine: Record<string, string> = {},
  ) {
    this.#path = path;
    for (const [name, token] of Object.entries(fileGrants)) this.#fromFile.set(name, token);
    for (const [name, token] of Object.entries(commandLine)) this.#fromCommandLine.set(name, token);
    this.#rehash();
  }

  #all(): Map<string, string> {
    return new Map([...this.#fromFile, ...this.#fromCommandLine]);
  }

  #rehash(): void {
    this.#hashes = [...this.#all()].map(([name, token]) => ({ name, hash: digest(token) }));
  }

  /** The grant an `Authorization` header's token belongs to. */
  match(header: string | undefined): string | undefined {
    return matchToken(bearerToken(header), this.#hashes);
  }

  /** Every grant with its token (for the admin's UI: to paste into a client's config). */
  list(): GrantInfo[] {
    return [...this.#all()].map(([name, token]) => ({
      name,
      token,
      fromCommandLine: this.#fromCommandLine.has(name),
    }));
  }

  /** Creates a grant with a fresh token, saved to tokens.json. */
  create(name: string): { ok: true; grant: GrantInfo } | { ok: false; error: string } {
    if (!GRANT_NAME.test(name))
      return { ok: false, error: "a grant name uses letters, digits, _ . - (at most 64)" };
    if (this.#all().has(name)) return { ok: false, error: `a grant named "${name}" exists` };
    const token = newToken();
    this.#fromFile.set(name, token);
    this.#save();
    this.#rehash();
    return { ok: true, grant: { name, token, fromCommandLine: false } };
  }

  /** Revokes a grant of tokens.json: its token stops working at once. */
  revoke(name: string): { ok: boolean; error?: string } {
    if (!this.#fromFile.delete(name)) {
      return {
        ok: false,
        error: this.#fromCommandLine.has(name) ? "that grant was given on the command line" : "no such grant",
      };
    }
    this.#save();
    this.#rehash();
    return { ok: true };
  }

  #save(): void {
    if (!this.#path) return;
    const current = existsSync(this.#path)
      ? (JSON.parse(readFileSync(this.#path, "utf8")) as Tokens)
      : undefined;
    const tokens: Tokens = {
      admin: current?.admin ?? newToken(),
      grants: Object.fromEntries(this.#fromFile),
    };
    writeFileAtomic(this.#path, `${JSON.stringify(tokens, null, 2)}\n`);
  }
}
