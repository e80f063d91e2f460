/** What the headless UI and the warden agree on for signing in (main/core/ui-sessions.ts explains why). */

/** The header that carries a UI session's binding half; the cookie carries the other. */
export const SESSION_HEADER = "x-mcp-warden-session";

/** `POST` here with `{code}` (the link's one-time code) to sign in: answers `{binding}` and sets the cookie. */
export const SIGN_IN_PATH = "/auth/session";
