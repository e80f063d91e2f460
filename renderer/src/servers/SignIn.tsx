/**
 * Signing the warden in to an upstream that wants OAuth: why it is needed, a Sign in button that opens the
 * server's consent page (the browser comes back to the warden by itself), and Sign out. No token is ever
 * shown: the contract carries none.
 */
import { useState } from "react";
import type { ServerStatus } from "../../../shared/contract.js";
import { useApi } from "../api.js";

/** "in 5 min", "in 2 h", "now" — when the access token expires (it is refreshed before). */
export function expiresIn(expiresAt: number, now: number): string {
  const minutes = Math.round((expiresAt - now) / 60_000);
  if (minutes <= 0) return "now";
  return minutes < 120 ? `in ${minutes} min` : `in ${Math.round(minutes / 60)} h`;
}

/** Whether a server shows sign-in controls at all. */
export function wantsSignIn(server: ServerStatus): boolean {
  return server.state === "sign-in-needed" || server.signIn !== undefined;
}

export function SignIn({ server }: { server: ServerStatus }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const [consentUrl, setConsentUrl] = useState("");
  const info = server.signIn;
  const needed = server.state === "sign-in-needed";
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setProblem("");
    try {
      await action();
    } catch (e) {
      setProblem(`Could not reach the warden: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const signIn = () =>
    run(async () => {
      const result = await api.signInServer({ server: server.name });
      if (!result.ok) {
        setProblem(`Sign-in could not start: ${result.error ?? "refused"}.`);
        return;
      }
      if (result.authorizationUrl && !result.opened) {
        setConsentUrl(result.authorizationUrl);
        window.open(result.authorizationUrl, "_blank", "noopener");
      }
    });
  const signOut = () =>
    run(async () => {
      setConsentUrl("");
      const result = await api.signOutServer({ server: server.name });
      if (!result.ok) setProblem(`Sign-out failed: ${result.error ?? "refused"}.`);
    });
  return (
    <section className="sign-in" aria-label={`Sign-in to ${server.name}`}>
      <span className="label">Sign-in</span>
      <span className={needed ? "error-text" : "muted"}>
        {needed
          ? (info?.needed ?? "the server needs sign-in")
          : info?.signedIn
            ? `signed in${info.scope ? ` (scope ${info.scope})` : ""}${info.expiresAt ? `, token renews ${expiresIn(info.expiresAt, Date.now())}` : ""}`
            : "signed out"}
      </span>
      {(needed || !info?.signedIn) && (
        <button
          type="button"
          className="button small"
          disabled={busy}
          onClick={() => void signIn()}
          aria-label={`Sign in to ${server.name}`}
        >
          Sign in
        </button>
      )}
      {info?.signedIn && (
        <button
          type="button"
          className="button small"
          disabled={busy}
          onClick={() => void signOut()}
          aria-label={`Sign out of ${server.name}`}
        >
          Sign out
        </button>
      )}
      {consentUrl && needed && (
        <a href={consentUrl} target="_blank" rel="noopener noreferrer">
          Open the sign-in page
        </a>
      )}
      {problem && (
        <span className="error-text" role="alert">
          {problem}
        </span>
      )}
    </section>
  );
}
