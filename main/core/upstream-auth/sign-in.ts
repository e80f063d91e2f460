/**
 * Signing the warden in to upstream servers that want OAuth 2.1 (the MCP authorization spec). One
 * `ServerSignIn` per URL server is the peers' auth hook (the Bearer header, refresh before expiry, what a
 * 401 or 403 meant); `UpstreamSignIn` runs the authorization-code flow with PKCE through the SDK's
 * `auth()`: `start` gives the URL of the consent page, the browser comes back to the warden's loopback
 * /oauth/callback, and `callback` checks `state` and `iss` (RFC 9207) and exchanges the code.
 */
import { randomBytes } from "node:crypto";
import type { auth as sdkAuth } from "@modelcontextprotocol/sdk/client/auth.js";
import type { SignInInfo } from "../../../shared/contract.js";
import { type AuthChallenge, authProblem, type PeerAuth } from "../proxy/peer-auth.js";
import { type FlowState, type OAuthSettings, StoreProvider } from "./provider.js";
import type { TokenStore } from "./token-store.js";

/**
 * The SDK's `auth()`, loaded on the first sign-in or refresh: the SDK's schemas cost the heap some 5 MB,
 * which a warden whose servers never ask for OAuth need not carry.
 */
const auth: typeof sdkAuth = async (...args) =>
  (await import("@modelcontextprotocol/sdk/client/auth.js")).auth(...args);

/** An access token this close to its expiry is refreshed before it is sent. */
export const REFRESH_MARGIN_MS = 60_000;
/** How long a started sign-in waits for the browser to come back. */
export const FLOW_TTL_MS = 10 * 60_000;

/** The path of the loopback redirect. */
export const CALLBACK_PATH = "/oauth/callback";

/** The answer to starting a sign-in. */
export interface SignInStart {
  ok: boolean;
  /** The consent page to open in the user's browser. */
  authorizationUrl?: string;
  /** The warden opened it itself (the tray app does). */
  opened?: boolean;
  error?: string;
}

/** How the flow ended, for the page the browser lands on and for the UI. */
export interface CallbackOutcome {
  ok: boolean;
  server?: string;
  message: string;
}

interface ServerEntry {
  name: string;
  url: string;
  settings: OAuthSettings;
  hook: ServerSignIn;
}

interface PendingFlow {
  server: string;
  flow: FlowState;
  startedAt: number;
}

export interface UpstreamSignInOptions {
  store: TokenStore;
  /** Opens a URL in the user's browser (the tray app's shell); headless the UI opens it. */
  openBrowser?: (url: string) => void;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The flow's errors in words: what happened, not the transport's last message. */
function flowError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/metadata|discover|well-known/i.test(message)) return `discovery failed: ${message}`;
  if (/regist/i.test(message)) return `client registration failed: ${message}`;
  return message;
}

/** One server's sign-in as its peers see it. */
export class ServerSignIn implements PeerAuth {
  /** Why a person has to sign in now (a refusal no refresh could fix), if they do. */
  needed: AuthChallenge | undefined;
  /** Called when a refusal means a person has to sign in; the upstream shows it as its state. */
  onNeeded?: (problem: string) => void;
  readonly #manager: UpstreamSignIn;
  readonly #server: string;
  #refreshing: Promise<boolean> | undefined;

  constructor(manager: UpstreamSignIn, server: string) {
    this.#manager = manager;
    this.#server = server;
  }

  async authorization(): Promise<string | undefined> {
    const entry = this.#manager.stored(this.#server);
    if (!entry?.tokens) return undefined;
    const soon = entry.expiresAt !== undefined && entry.expiresAt - this.#manager.now() < REFRESH_MARGIN_MS;
    if (soon && entry.tokens.refresh_token) await this.refresh();
    const tokens = this.#manager.stored(this.#server)?.tokens;
    return tokens ? `Bearer ${tokens.access_token}` : undefined;
  }

  /** Refreshes the access token once for everyone waiting; true when it worked. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#manager.refresh(this.#server).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async refused(challenge: AuthChallenge): Promise<boolean> {
    if (!challenge.bearer) return false;
    const tokens = this.#manager.stored(this.#server)?.tokens;
    if (challenge.status === 401 && tokens?.refresh_token && (await this.refresh())) return true;
    this.needed = challenge;
    this.onNeeded?.(authProblem(challenge));
    return false;
  }

  /** What the UI may know: never a token. */
  info(): SignInInfo {
    const entry = this.#manager.stored(this.#server);
    return {
      signedIn: entry?.tokens !== undefined,
      ...(entry?.tokens?.scope ? { scope: entry.tokens.scope } : {}),
      ...(entry?.expiresAt !== undefined ? { expiresAt: entry.expiresAt } : {}),
      ...(this.needed ? { needed: authProblem(this.needed) } : {}),
    };
  }
}

/** Every upstream's sign-in, and the flows under way. */
export class UpstreamSignIn {
  readonly #store: TokenStore;
  readonly #options: UpstreamSignInOptions;
  readonly #servers = new Map<string, ServerEntry>();
  readonly #flows = new Map<string, PendingFlow>();
  #callbackBase = "";
  readonly now: () => number;
  /** Called when a server's tokens changed (signed in or out), so its upstream reconnects. */
  onChanged?: (server: string) => void;

  constructor(options: UpstreamSignInOptions) {
    this.#options = options;
    this.#store = options.store;
    this.now = options.now ?? Date.now;
  }

  /** The hook for one URL server; a server seen again with new settings gets a new one. */
  forServer(name: string, url: string, settings: OAuthSettings = {}): ServerSignIn {
    const hook = new ServerSignIn(this, name);
    this.#servers.set(name, { name, url, settings, hook });
    return hook;
  }

  /** The warden's own address, once it listens: the redirect URI is `<base>/oauth/callback`. */
  setCallbackBase(base: string): void {
    this.#callbackBase = base;
  }

  get redirectUrl(): string {
    return `${this.#callbackBase}${CALLBACK_PATH}`;
  }

  /** The server's stored sign-in (read by its hook; never handed beyond the core). */
  stored(server: string) {
    const entry = this.#servers.get(server);
    if (!entry) return undefined;
    try {
      return this.#store.get(server, entry.url);
    } catch {
      // A token file that cannot be opened (another key) reads as signed out; signing in writes it anew.
      return undefined;
    }
  }

  #provider(entry: ServerEntry, flow: FlowState): StoreProvider {
    return new StoreProvider({
      server: entry.name,
      url: entry.url,
      store: this.#store,
      settings: entry.settings,
      redirectUrl: this.redirectUrl,
      flow,
      now: this.now,
    });
  }

  #fetchFn(): typeof fetch {
    return this.#options.fetch ?? fetch;
  }

  /** Uses the refresh token; true when new tokens came. */
  async refresh(server: string): Promise<boolean> {
    const entry = this.#servers.get(server);
    if (!entry) return false;
    const flow: FlowState = { state: randomBytes(16).toString("base64url") };
    try {
      // With a refresh token `auth()` refreshes; should the refresh fail it starts a new authorization,
      // whose URL is dropped here: a person has to sign in.
      const result = await auth(this.#provider(entry, flow), {
        serverUrl: entry.url,
        fetchFn: this.#fetchFn(),
      });
      return result === "AUTHORIZED";
    } catch {
      return false;
    }
  }

  /** Starts a sign-in: discovery, registration, and the consent page's URL (opened when the shell can). */
  async start(server: string): Promise<SignInStart> {
    const entry = this.#servers.get(server);
    if (!entry) return { ok: false, error: `"${server}" is not a URL server (only those sign in)` };
    if (!this.#callbackBase) return { ok: false, error: "the warden is not listening yet" };
    this.#sweep();
    const flow: FlowState = { state: randomBytes(24).toString("base64url"), fresh: true };
    const needed = entry.hook.needed;
    let result: Awaited<ReturnType<typeof auth>>;
    try {
      result = await auth(this.#provider(entry, flow), {
        serverUrl: entry.url,
        ...(needed?.resourceMetadataUrl ? { resourceMetadataUrl: new URL(needed.resourceMetadataUrl) } : {}),
        ...(needed?.scope || entry.settings.scope ? { scope: needed?.scope ?? entry.settings.scope } : {}),
        fetchFn: this.#fetchFn(),
      });
    } catch (error) {
      // Without metadata the SDK guesses endpoints at the server's origin: their failure is discovery's.
      if (!this.stored(server)?.discovery?.authorizationServerMetadata)
        return {
          ok: false,
          error: `discovery failed: no authorization server metadata (RFC 9728, RFC 8414) was found for ${entry.url} (${(error as Error).message})`,
        };
      return { ok: false, error: flowError(error) };
    }
    if (result === "AUTHORIZED") {
      this.#signedIn(entry);
      return { ok: true };
    }
    const url = flow.authorizationUrl;
    if (!url) return { ok: false, error: "the authorization server gave no consent page" };
    this.#flows.set(flow.state, { server, flow, startedAt: this.now() });
    const open = this.#options.openBrowser;
    open?.(url.href);
    return { ok: true, authorizationUrl: url.href, opened: open !== undefined };
  }

  /** The browser came back: checks state and issuer, exchanges the code, stores the tokens. */
  async callback(query: URLSearchParams): Promise<CallbackOutcome> {
    const pending = this.#flows.get(query.get("state") ?? "");
    if (!pending || this.now() - pending.startedAt > FLOW_TTL_MS)
      return { ok: false, message: "This sign-in is unknown or expired: start it again from MCP Warden." };
    this.#flows.delete(pending.flow.state);
    const entry = this.#servers.get(pending.server);
    if (!entry) return { ok: false, message: `The server "${pending.server}" is no longer configured.` };
    const name = entry.name;
    const error = query.get("error");
    if (error) {
      const detail = query.get("error_description");
      return {
        ok: false,
        server: name,
        message:
          error === "access_denied"
            ? `Sign-in to ${name} was cancelled (access denied).`
            : `Sign-in to ${name} failed: ${error}${detail ? ` (${detail})` : ""}.`,
      };
    }
    const issuerProblem = this.#issuerProblem(name, query.get("iss"));
    if (issuerProblem) return { ok: false, server: name, message: issuerProblem };
    const code = query.get("code");
    if (!code) return { ok: false, server: name, message: `Sign-in to ${name} failed: no code came back.` };
    try {
      await auth(this.#provider(entry, pending.flow), {
        serverUrl: entry.url,
        authorizationCode: code,
        fetchFn: this.#fetchFn(),
      });
    } catch (err) {
      return { ok: false, server: name, message: `Sign-in to ${name} failed: ${flowError(err)}` };
    }
    this.#signedIn(entry);
    return { ok: true, server: name, message: `Signed in to ${name}. You can close this tab.` };
  }

  /**
   * RFC 9207: an `iss` in the answer must name the authorization server the flow was started with, and a
   * server that says it sends `iss` must send it (a mix-up attack swaps in another server's answer).
   */
  #issuerProblem(server: string, iss: string | null): string | undefined {
    const metadata = this.stored(server)?.discovery?.authorizationServerMetadata;
    if (iss === null) {
      // The SDK keeps the metadata's other fields; RFC 9207's flag is one of them.
      const promised = (metadata as Record<string, unknown> | undefined)
        ?.authorization_response_iss_parameter_supported;
      return promised === true
        ? `Sign-in to ${server} refused: the authorization server promised an issuer (iss) and sent none.`
        : undefined;
    }
    if (metadata?.issuer !== undefined && iss !== metadata.issuer)
      return `Sign-in to ${server} refused: the answer came from issuer ${iss}, not ${metadata.issuer}.`;
    return undefined;
  }

  #signedIn(entry: ServerEntry): void {
    entry.hook.needed = undefined;
    this.onChanged?.(entry.name);
  }

  /** Forgets a server's tokens and registration (on this machine; the server may still hold its grant). */
  signOut(server: string): { ok: boolean; error?: string } {
    const entry = this.#servers.get(server);
    if (!entry) return { ok: false, error: `"${server}" is not a URL server` };
    try {
      this.#store.remove(server);
    } catch (error) {
      return { ok: false, error: `could not forget the tokens: ${(error as Error).message}` };
    }
    this.onChanged?.(server);
    return { ok: true };
  }

  /** Drops flows whose browser never came back. */
  #sweep(): void {
    const now = this.now();
    for (const [state, flow] of this.#flows)
      if (now - flow.startedAt > FLOW_TTL_MS) this.#flows.delete(state);
  }
}
