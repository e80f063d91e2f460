/**
 * Electron's security checklist, applied to every webContents and to the session: no navigation, no
 * new windows, no webviews, no permissions, no remote requests; links to an allow-list of https sites
 * open in the user's browser instead. Each line says what it prevents.
 */

/** Sites the UI may link to; they open in the default browser, never inside the app. */
export const EXTERNAL_HOSTS: readonly string[] = ["github.com", "modelcontextprotocol.io"];

/** Whether a URL may be handed to `shell.openExternal`: https, an allow-listed host, no credentials. */
export function isAllowedExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // SECURITY: only https to listed hosts; never file:, smb:, custom schemes or credentials in the URL.
  return (
    parsed.protocol === "https:" &&
    parsed.username === "" &&
    parsed.password === "" &&
    parsed.port === "" &&
    EXTERNAL_HOSTS.includes(parsed.hostname)
  );
}

/** An event whose default can be prevented. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** The part of a `WebContents` the hardening uses. */
export interface HardenableContents {
  on(event: "will-navigate", listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: "will-redirect", listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: "will-attach-webview", listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void;
}

/** Opens a URL in the user's browser (`shell.openExternal`). */
export type OpenExternal = (url: string) => Promise<void>;

function openIfAllowed(url: string, openExternal: OpenExternal): void {
  // SECURITY: shell.openExternal only for allow-listed https URLs.
  if (isAllowedExternalUrl(url)) openExternal(url).catch(() => {});
}

/** Refuses navigation, redirects, new windows and webviews in one webContents. */
export function hardenWebContents(contents: HardenableContents, openExternal: OpenExternal): void {
  contents.on("will-navigate", (event, url) => {
    // SECURITY: the UI never navigates away from itself (hash routes do not fire will-navigate).
    event.preventDefault();
    openIfAllowed(url, openExternal);
  });
  contents.on("will-redirect", (event) => {
    // SECURITY: no redirects to anywhere.
    event.preventDefault();
  });
  contents.on("will-attach-webview", (event) => {
    // SECURITY: no <webview> (webviewTag is off too).
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openIfAllowed(url, openExternal);
    // SECURITY: window.open and target=_blank never create a window.
    return { action: "deny" };
  });
}

/** The part of a `Session` the hardening uses. */
export interface HardenableSession {
  setPermissionRequestHandler(
    handler: (
      webContents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: { requestingUrl: string },
    ) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (webContents: unknown, permission: string, requestingOrigin: string) => boolean,
  ): void;
  webRequest: {
    onBeforeRequest(
      filter: { urls: string[] },
      listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void,
    ): void;
  };
}

/** URL patterns of remote content, all refused. */
export const REMOTE_URL_PATTERNS = ["http://*/*", "https://*/*", "ws://*/*", "wss://*/*", "ftp://*/*"];

/**
 * The one permission our own UI keeps: writing (never reading) text to the clipboard, for its Copy
 * buttons. Everything else, and anything from another origin, is denied.
 */
export function isAllowedPermission(permission: string, origin: string, uiOrigin: string): boolean {
  return permission === "clipboard-sanitized-write" && origin === uiOrigin;
}

/** Denies every permission (but our UI's clipboard writes) and every remote request of a session. */
export function hardenSession(session: HardenableSession, uiOrigin: string): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    // SECURITY: camera, microphone, notifications, geolocation, clipboard reads, … — all denied.
    callback(isAllowedPermission(permission, originOf(details.requestingUrl), uiOrigin));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    // SECURITY: permission checks answer "no" too, but for our UI's clipboard writes.
    isAllowedPermission(permission, originOf(requestingOrigin), uiOrigin),
  );
  session.webRequest.onBeforeRequest({ urls: REMOTE_URL_PATTERNS }, (_details, callback) => {
    // SECURITY: no remote content: the UI is local and talks to the core over IPC only.
    callback({ cancel: true });
  });
}

/** `scheme://host` of a URL or origin (custom schemes have no origin in WHATWG URL terms). */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "";
  }
}
