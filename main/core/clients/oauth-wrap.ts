/**
 * Wrapping a remote server that signs in with OAuth: once it goes through the warden, the warden signs in
 * for it (the client no longer does), so it moves only when the warden can. An entry bound to an OAuth
 * client registered for the client's own redirect address (Claude Code's `oauth.clientId` with its
 * `callbackPort`) cannot be signed in as by the warden, whose redirect is its own /oauth/callback.
 */

/** Whether a client's entry may move, with what the user is told either way. */
export type RemoteSignIn = { move: true; note?: string } | { move: false; problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasAuthorization(headers: unknown): boolean {
  return isRecord(headers) && Object.keys(headers).some((k) => k.toLowerCase() === "authorization");
}

/** What moving this entry means for its sign-in. */
export function remoteSignIn(entry: unknown): RemoteSignIn {
  if (!isRecord(entry) || typeof entry.url !== "string") return { move: true };
  if (hasAuthorization(entry.headers)) return { move: true };
  const oauth = entry.oauth;
  if (isRecord(oauth) && typeof oauth.clientId === "string")
    return {
      move: false,
      problem: `it signs in as OAuth client "${oauth.clientId}", registered for the client's own redirect address; the warden cannot sign in as that client (register one for the warden's /oauth/callback and give it in the servers file's "oauth")`,
    };
  return {
    move: true,
    note: "if it asks for sign-in (OAuth), the warden signs in for it: press Sign in in the Servers view",
  };
}
