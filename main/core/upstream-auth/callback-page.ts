/**
 * The page the user's browser lands on at /oauth/callback, when the authorization server sends it back
 * to the warden: it hands the query to the sign-in and says in words how it went. The query's code and
 * state are never echoed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallbackOutcome, UpstreamSignIn } from "./sign-in.js";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The whole page: a heading and the outcome's message, no script. */
export function callbackHtml(outcome: CallbackOutcome): string {
  const title = outcome.ok ? "Signed in" : "Sign-in did not complete";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MCP Warden: ${title}</title></head><body><h1>${title}</h1><p id="outcome">${escapeHtml(outcome.message)}</p></body></html>`;
}

/** Answers GET /oauth/callback. */
export async function serveCallback(
  req: IncomingMessage,
  res: ServerResponse,
  signIn: UpstreamSignIn | undefined,
): Promise<void> {
  const query = new URL(req.url ?? "/", "http://localhost").searchParams;
  const outcome: CallbackOutcome =
    req.method !== "GET"
      ? { ok: false, message: "The sign-in callback takes GET only." }
      : signIn
        ? await signIn.callback(query)
        : { ok: false, message: "Sign-in is not available in this warden." };
  res.writeHead(outcome.ok ? 200 : 400, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // SECURITY: no script, no framing, and the code in the URL is not passed on to any other site.
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
  });
  res.end(callbackHtml(outcome));
}
