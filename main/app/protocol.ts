/**
 * The UI's own origin, `app://warden/`: a custom scheme that serves the built React UI (dist/ui) with the
 * same Content-Security-Policy as the headless server, instead of `file://` (which would give the pages
 * file-system reach and a shared, opaque origin). Paths are confined to the UI folder.
 */
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { CustomScheme } from "electron";
import { CONTENT_TYPES, UI_CSP } from "../core/http-server.js";

export const APP_SCHEME = "app";
export const APP_HOST = "warden";
/** Our UI's origin: the only one IPC answers and windows load. */
export const UI_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The UI's entry page. */
export const UI_INDEX = `${UI_ORIGIN}/index.html`;

/** How the scheme is registered, before the app is ready. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  // SECURITY: a standard, secure origin of its own (not file://), so the CSP's 'self' means our UI only;
  // no bypassCSP, no service workers.
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
};

const HEADERS = {
  // SECURITY: the same strict CSP as the headless UI: our own scripts only, no remote content.
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

function notFound(text = "not found"): Response {
  return new Response(text, {
    status: 404,
    headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * The file a URL names inside `root`, or undefined when it names anything outside it (`..`, encoded or
 * not, backslashes, NUL) or another host.
 */
export function resolveUiPath(root: string, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (relative === "/" || relative === "") relative = "/index.html";
  // SECURITY: no traversal out of the UI folder, however it is spelled.
  if (relative.includes("\0") || relative.includes("\\") || relative.split("/").includes(".."))
    return undefined;
  const base = normalize(root);
  const file = normalize(join(base, relative));
  return file.startsWith(base.endsWith(sep) ? base : base + sep) ? file : undefined;
}

/** The `protocol.handle` handler serving `uiDir`. */
export function uiProtocolHandler(uiDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return notFound();
    const file = resolveUiPath(uiDir, request.url);
    if (!file) return notFound();
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return file.endsWith(`${sep}index.html`)
        ? notFound("The MCP Warden UI is not built: run npm run build.")
        : notFound();
    }
    return new Response(request.method === "HEAD" ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...HEADERS, "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" },
    });
  };
}
