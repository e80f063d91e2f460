/**
 * Client grants: one named bearer token per client ("claude-desktop", "cursor"…), so the log says which
 * client called and `scope: "grant"` limits count per client. Grants live in tokens.json (user-only);
 * grants given on the command line live only as long as the process. Tokens are matched in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { GrantInfo } from "../../../shared/contract.js";
import { newToken, type Tokens, writeFileAtomic } from "../config/data-dir.js";

/** Grant names: letters, digits, `_ . -`, as they appear in logs and configs. */
export const GRANT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The token in an `Authorization: Bearer …` header. */
function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/i.exec(header ?? "")?.[1]?.trim() || undefined;
}

/** Compares a token against every candidate in constant time; returns the matching name. */
function matchToken(token: string | undefined, candidates: readonly { name: string; hash: Buffer }[]) {
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
    const all = [...this.#all()];
    const signature = JSON.stringify(all);
    this.#hashes = all.map(([name, token]) => ({ name, hash: digest(token) }));
    if (signature !== this.#signature) this.#onChange?.(this.list());
    this.#signature = signature;
  }

  #signature = "";

  #onChange: ((grants: GrantInfo[]) => void) | undefined;

  /** Calls `listener` with the grants whenever they change. */
  onChange(listener: (grants: GrantInfo[]) => void): void {
    this.#onChange = listener;
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
    this.reload();
    if (this.#all().has(name)) return { ok: false, error: `a grant named "${name}" exists` };
    const token = newToken();
    this.#change((grants) => {
      grants[name] = token;
    });
    return { ok: true, grant: { name, token, fromCommandLine: false } };
  }

  /** Revokes a grant of tokens.json: its token stops working at once. */
  revoke(name: string): { ok: boolean; error?: string } {
    this.reload();
    if (!this.#fromFile.has(name)) {
      const error = this.#fromCommandLine.has(name)
        ? "that grant was given on the command line"
        : "no such grant";
      return { ok: false, error };
    }
    this.#change((grants) => {
      delete grants[name];
    });
    return { ok: true };
  }

  /** Re-reads tokens.json (another process, such as `mcp-warden wrap`, may have added a grant). */
  reload(): void {
    const file = this.#readFile();
    if (file) this.#setFileGrants(file.grants);
  }

  #readFile(): Tokens | undefined {
    if (!this.#path || !existsSync(this.#path)) return undefined;
    try {
      const value = JSON.parse(readFileSync(this.#path, "utf8")) as Partial<Tokens>;
      return typeof value.admin === "string" && value.grants && typeof value.grants === "object"
        ? { admin: value.admin, grants: value.grants }
        : undefined;
    } catch {
      return undefined;
    }
  }

  #setFileGrants(grants: Record<string, string>): void {
    this.#fromFile.clear();
    for (const [name, token] of Object.entries(grants)) this.#fromFile.set(name, token);
    this.#rehash();
  }

  /** Applies one change to tokens.json as it is now on disk (not to this process's copy of it). */
  #change(edit: (grants: Record<string, string>) => void): void {
    if (!this.#path) {
      const grants = Object.fromEntries(this.#fromFile);
      edit(grants);
      this.#setFileGrants(grants);
      return;
    }
    const file = this.#readFile() ?? { admin: newToken(), grants: {} };
    edit(file.grants);
    writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`);
    this.#setFileGrants(file.grants);
  }
}
