/**
 * The SDK's `OAuthClientProvider` for one upstream, over the sealed token store: the SDK's `auth()` runs
 * discovery (RFC 9728, then the authorization server's metadata), Client ID Metadata Documents or dynamic
 * registration, PKCE, resource indicators (RFC 8707) and refresh; this says where things are kept.
 */
import type { OAuthClientProvider, OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { StoredSignIn, TokenStore } from "./token-store.js";

/** How the warden presents itself to one server's authorization server (the servers file's `oauth`). */
export interface OAuthSettings {
  /** A client registered beforehand (the authorization server offers no registration). */
  clientId?: string;
  clientSecret?: string;
  /** An https URL of the warden's Client ID Metadata Document, used where the server supports it. */
  clientMetadataUrl?: string;
  /** The scope to ask for when the server names none. */
  scope?: string;
}

/** One run of the flow: what lives only in memory while the user is at the consent page. */
export interface FlowState {
  state: string;
  codeVerifier?: string;
  authorizationUrl?: URL;
  /**
   * A person asked to sign in: the held tokens are not offered to `auth()`, which would only refresh them
   * (no larger scope, and a refresh that already failed once), nor is the discovery cached before it.
   */
  fresh?: boolean;
  /** This flow has run discovery: the code exchange uses what it found (a custom metadata URL included). */
  discovered?: boolean;
}

export interface ProviderOptions {
  server: string;
  url: string;
  store: TokenStore;
  settings: OAuthSettings;
  /** Where the authorization server sends the browser back (the warden's /oauth/callback). */
  redirectUrl: string;
  flow: FlowState;
  now: () => number;
}

/** The provider `auth()` reads and writes through. */
export class StoreProvider implements OAuthClientProvider {
  readonly #o: ProviderOptions;

  constructor(options: ProviderOptions) {
    this.#o = options;
  }

  #entry(): StoredSignIn | undefined {
    return this.#o.store.get(this.#o.server, this.#o.url);
  }

  #update(change: (entry: StoredSignIn) => StoredSignIn): void {
    this.#o.store.update(this.#o.server, this.#o.url, change);
  }

  get redirectUrl(): string {
    return this.#o.redirectUrl;
  }

  get clientMetadataUrl(): string | undefined {
    return this.#o.settings.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "MCP Warden",
      // A desktop app whose redirect lands on a loopback listener (SEP-837, OpenID Connect registration;
      // the SDK's type does not name the field yet, and sends the metadata as it is given).
      ...({ application_type: "native" } as Record<string, string>),
      redirect_uris: [this.#o.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...(this.#o.settings.clientSecret ? {} : { token_endpoint_auth_method: "none" }),
      ...(this.#o.settings.scope ? { scope: this.#o.settings.scope } : {}),
    };
  }

  state(): string {
    return this.#o.flow.state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const { clientId, clientSecret } = this.#o.settings;
    if (clientId) return { client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}) };
    const entry = this.#entry();
    // A registration names its redirect URI: one made while the warden listened on another port is stale.
    return entry?.redirectUri === this.#o.redirectUrl ? entry.client : undefined;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    if (this.#o.settings.clientId) return;
    this.#update((e) => ({ ...e, client, redirectUri: this.#o.redirectUrl }));
  }

  tokens(): OAuthTokens | undefined {
    return this.#o.flow.fresh ? undefined : this.#entry()?.tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    const expiresAt = tokens.expires_in !== undefined ? this.#o.now() + tokens.expires_in * 1000 : undefined;
    this.#update(({ expiresAt: _old, ...e }) => ({
      ...e,
      // A refresh answer may leave the refresh token out: the one we hold stays good.
      tokens: { ...tokens, refresh_token: tokens.refresh_token ?? e.tokens?.refresh_token },
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    }));
  }

  redirectToAuthorization(url: URL): void {
    this.#o.flow.authorizationUrl = url;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#o.flow.codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#o.flow.codeVerifier) throw new Error("no sign-in is under way for this server");
    return this.#o.flow.codeVerifier;
  }

  saveDiscoveryState(discovery: OAuthDiscoveryState): void {
    // RFC 8414 §3.3: the metadata must name as its issuer the URL it was fetched for; endpoints from a
    // document that names another are someone else's (the SDK does not check this itself).
    const named = discovery.authorizationServerMetadata?.issuer;
    if (typeof named === "string" && !sameIssuer(named, discovery.authorizationServerUrl))
      throw new Error(
        `discovery failed: the authorization server ${discovery.authorizationServerUrl} published metadata for the issuer ${named}`,
      );
    this.#o.flow.discovered = true;
    this.#update((e) => ({ ...e, discovery }));
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    // A sign-in a person started discovers afresh: the authorization server may have moved.
    return this.#o.flow.fresh && !this.#o.flow.discovered ? undefined : this.#entry()?.discovery;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "verifier") {
      delete this.#o.flow.codeVerifier;
      return;
    }
    this.#update(({ tokens, expiresAt, client, redirectUri, discovery, ...e }) => ({
      ...e,
      ...(scope === "tokens" || scope === "all" ? {} : { tokens, expiresAt }),
      ...(scope === "client" || scope === "all" ? {} : { client, redirectUri }),
      ...(scope === "discovery" || scope === "all" ? {} : { discovery }),
    }));
  }
}

/** Whether two issuer identifiers are the same URL (a trailing slash aside). */
function sameIssuer(a: string, b: string): boolean {
  const plain = (u: string) => u.replace(/\/+$/, "");
  return plain(a) === plain(b);
}
