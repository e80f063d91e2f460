/**
 * The hook through which an HTTP or SSE peer signs its requests to an upstream that wants OAuth: the peer
 * asks it for the `Authorization` value before each request, and tells it about each 401 or 403 the
 * server answers, so the upstream's state can say "sign-in needed" instead of the transport's last words.
 */
import type { SignInInfo } from "../../../shared/contract.js";
/** What a server said when it refused a request for want of (enough) authorization. */
export interface AuthChallenge {
  status: 401 | 403;
  /** RFC 9728: where the server's protected-resource metadata is (`resource_metadata=`). */
  resourceMetadataUrl?: string;
  /** The scope the server asks for (`scope=`), e.g. the larger one of a 403 `insufficient_scope`. */
  scope?: string;
  /** `error=` of the challenge: `invalid_token`, `insufficient_scope` … */
  error?: string;
  /** Whether the challenge is a Bearer one (an OAuth server); a 401 without it is plain refusal. */
  bearer: boolean;
}

/** The peer's side of upstream sign-in. */
export interface PeerAuth {
  /** The `Authorization` header value to send, if signed in (refreshed first when about to expire). */
  authorization(): Promise<string | undefined>;
  /**
   * The server refused a request. Resolves true when the request is worth sending once more (the token
   * was refreshed); false when a person has to sign in (again, or with more scope).
   */
  refused(challenge: AuthChallenge): Promise<boolean>;
}

/** A server's sign-in as its upstream sees it: the peers' hook, and what the state shows. */
export interface SignInHook extends PeerAuth {
  /** The refusal a person has to answer by signing in, if any. */
  readonly needed: AuthChallenge | undefined;
  /** Set by the upstream: a refusal means a person has to sign in. */
  onNeeded?: (problem: string) => void;
  info(): SignInInfo;
}

/** The server refused the request for want of authorization: the message says which and what to do. */
export class UpstreamAuthError extends Error {
  constructor(readonly challenge: AuthChallenge) {
    super(authProblem(challenge));
  }
}

/** One line for people: what the refusal means. */
export function authProblem(challenge: AuthChallenge): string {
  if (challenge.status === 403)
    return challenge.error === "insufficient_scope"
      ? `HTTP 403: the server needs more permission${challenge.scope ? ` (scope "${challenge.scope}")` : ""}; sign in again to grant it`
      : `HTTP 403: the server refused this account${challenge.error ? ` (${challenge.error})` : ""}`;
  return challenge.bearer
    ? `HTTP 401: the server needs sign-in${challenge.error ? ` (${challenge.error})` : ""}`
    : "HTTP 401: the server refused the request and offers no sign-in (set its headers in the servers file)";
}

/** Reads `key="value"` or `key=value` pairs of a WWW-Authenticate value. */
function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const key = m[1]?.toLowerCase();
    if (key) params[key] = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
  }
  return params;
}

/** The challenge of a 401 or 403 answer, or undefined for any other status. */
export function challengeOf(response: Response): AuthChallenge | undefined {
  if (response.status !== 401 && response.status !== 403) return undefined;
  const header = response.headers.get("www-authenticate") ?? "";
  const params = challengeParams(header);
  return {
    status: response.status,
    bearer: /^\s*bearer\b/i.test(header),
    ...(params.resource_metadata ? { resourceMetadataUrl: params.resource_metadata } : {}),
    ...(params.scope ? { scope: params.scope } : {}),
    ...(params.error ? { error: params.error } : {}),
  };
}
