/**
 * Signing in to the headless UI without the admin token in the address, the output or the page: `serve`
 * (and `mcp-warden ui`) print a link holding a one-time code, short-lived and good once, which the page
 * exchanges for a session. The session is two halves, both needed on every request:
 *
 * - a cookie, `mcp-warden-<port>`: HttpOnly (no script reads it), SameSite=Strict (no other site's page
 *   makes the browser send it), Path=/, no Domain (this host only), living as long as the browser session;
 * - a binding value the page keeps in its origin's storage and sends as the `x-mcp-warden-session` header.
 *
 * Why two: browsers do not isolate cookies by port, so the cookie for 127.0.0.1:17430 is also sent to any
 * other local port the user's browser visits, where another user may listen. Storage is isolated by origin,
 * port included, so the binding never leaves the warden's own origin: a cookie caught on another port is
 * useless without it. Sessions live only in this process's memory, so a process that takes the port after
 * a crash (and then does get both halves, from a page reloaded on that origin) holds a session no running
 * warden knows. The cookie is named by port so that two wardens on one machine do not sign each other out.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SESSION_HEADER } from "../../shared/ui-session.js";

export { SESSION_HEADER };

/** How long a sign-in code can be used. */
export const CODE_TTL_MS = 5 * 60_000;

/** A session unused for this long is forgotten. */
export const UI_SESSION_IDLE_MS = 12 * 60 * 60_000;

/** Most sign-in sessions and open codes kept; the oldest go first. */
export const MAX_UI_SESSIONS = 64;

interface Session {
  binding: Buffer;
  lastSeen: number;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function secret(): string {
  return randomBytes(24).toString("base64url");
}

/** The value of cookie `name` in a request's Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Keeps a map at most `max` entries long by dropping its oldest. */
function bound<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/** The sign-in codes and sessions of one warden instance. */
export class UiSessions {
  readonly #codes = new Map<string, number>();
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  /** The session cookie's name. */
  readonly cookieName: string;

  constructor(port: number, now: () => number = Date.now) {
    this.cookieName = `mcp-warden-${port}`;
    this.#now = now;
  }

  /** A fresh one-time code. */
  newCode(): string {
    const code = secret();
    this.#codes.set(digest(code), this.#now() + CODE_TTL_MS);
    bound(this.#codes, MAX_UI_SESSIONS);
    return code;
  }

  /**
   * Spends a code: a new session's Set-Cookie header and binding, or undefined when the code is unknown,
   * used or expired.
   */
  exchange(code: unknown): { setCookie: string; binding: string } | undefined {
    if (typeof code !== "string") return undefined;
    const key = digest(code);
    const expires = this.#codes.get(key);
    this.#codes.delete(key);
    if (expires === undefined || expires < this.#now()) return undefined;
    const id = secret();
    const binding = secret();
    this.#sessions.set(digest(id), { binding: Buffer.from(digest(binding)), lastSeen: this.#now() });
    bound(this.#sessions, MAX_UI_SESSIONS);
    return {
      setCookie: `${this.cookieName}=${id}; HttpOnly; SameSite=Strict; Path=/`,
      binding,
    };
  }

  /** True when a request carries both halves of a live session. */
  authorizes(headers: IncomingHttpHeaders): boolean {
    const id = cookieValue(headers.cookie, this.cookieName);
    const binding = headers[SESSION_HEADER];
    if (!id || typeof binding !== "string") return false;
    const key = digest(id);
    const session = this.#sessions.get(key);
    if (!session) return false;
    if (this.#now() - session.lastSeen > UI_SESSION_IDLE_MS) {
      this.#sessions.delete(key);
      return false;
    }
    if (!timingSafeEqual(Buffer.from(digest(binding)), session.binding)) return false;
    session.lastSeen = this.#now();
    return true;
  }
}
