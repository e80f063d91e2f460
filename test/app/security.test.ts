/** Navigation, new windows, webviews, permissions and remote requests are refused; links go out only to https allow-list. */
import { describe, expect, it } from "vitest";
import { UI_ORIGIN } from "../../main/app/protocol.js";
import {
  EXTERNAL_HOSTS,
  type HardenableContents,
  type HardenableSession,
  hardenSession,
  hardenWebContents,
  isAllowedExternalUrl,
  type PreventableEvent,
} from "../../main/app/security.js";

class FakeContents implements HardenableContents {
  listeners = new Map<string, (event: PreventableEvent, url: string) => void>();
  openHandler: ((details: { url: string }) => { action: "deny" }) | undefined;
  on(event: string, listener: (event: PreventableEvent, url: string) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void {
    this.openHandler = handler;
  }
  /** Fires an event and says whether its default was prevented. */
  fire(event: string, url = ""): boolean {
    let prevented = false;
    this.listeners.get(event)?.({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

function hardened() {
  const contents = new FakeContents();
  const opened: string[] = [];
  hardenWebContents(contents, async (url) => {
    opened.push(url);
  });
  return { contents, opened };
}

describe("web contents hardening", () => {
  it("refuses every navigation; an allow-listed https link opens in the browser instead", () => {
    const { contents, opened } = hardened();
    expect(contents.fire("will-navigate", "app://warden/other.html")).toBe(true);
    expect(contents.fire("will-navigate", "https://evil.example/")).toBe(true);
    expect(contents.fire("will-navigate", "https://github.com/mcp-warden")).toBe(true);
    expect(opened).toEqual(["https://github.com/mcp-warden"]);
  });

  it("refuses redirects and webviews", () => {
    const { contents } = hardened();
    expect(contents.fire("will-redirect", "https://github.com/")).toBe(true);
    expect(contents.fire("will-attach-webview")).toBe(true);
  });

  it("window.open never creates a window; allow-listed links go to the browser", () => {
    const { contents, opened } = hardened();
    expect(contents.openHandler?.({ url: "https://evil.example/" })).toEqual({ action: "deny" });
    expect(contents.openHandler?.({ url: "app://warden/index.html" })).toEqual({ action: "deny" });
    expect(contents.openHandler?.({ url: "https://modelcontextprotocol.io/specification" })).toEqual({
      action: "deny",
    });
    expect(opened).toEqual(["https://modelcontextprotocol.io/specification"]);
  });

  it.each([
    ["https://github.com/x", true],
    ["https://modelcontextprotocol.io/", true],
    ["http://github.com/x", false],
    ["https://github.com.evil.example/", false],
    ["https://user:pw@github.com/", false],
    ["https://github.com:8443/", false],
    ["file:///etc/passwd", false],
    ["smb://github.com/share", false],
    ["javascript:alert(1)", false],
    ["not a url", false],
  ] as const)("openExternal allows %s: %s", (url, allowed) => {
    expect(isAllowedExternalUrl(url)).toBe(allowed);
  });

  it("the allow-list is https hosts only", () => {
    for (const host of EXTERNAL_HOSTS) expect(host).toMatch(/^[a-z0-9.-]+$/);
  });
});

describe("session hardening", () => {
  function hardened() {
    let request: Parameters<HardenableSession["setPermissionRequestHandler"]>[0] | undefined;
    let check: Parameters<HardenableSession["setPermissionCheckHandler"]>[0] | undefined;
    let filter: { urls: string[] } | undefined;
    let before: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | undefined;
    hardenSession(
      {
        setPermissionRequestHandler: (h) => {
          request = h;
        },
        setPermissionCheckHandler: (h) => {
          check = h;
        },
        webRequest: {
          onBeforeRequest: (f, l) => {
            filter = f;
            before = l;
          },
        },
      },
      UI_ORIGIN,
    );
    const ask = (permission: string, url = `${UI_ORIGIN}/index.html`) => {
      let granted: boolean | undefined;
      request?.({}, permission, (g) => (granted = g), { requestingUrl: url });
      return granted;
    };
    return { ask, check: (p: string, origin = UI_ORIGIN) => check?.({}, p, origin), filter, before };
  }

  it.each([
    "media",
    "geolocation",
    "notifications",
    "clipboard-read",
    "openExternal",
    "fullscreen",
    "display-capture",
  ])("denies %s, asked or checked", (permission) => {
    const { ask, check } = hardened();
    expect(ask(permission)).toBe(false);
    expect(check(permission)).toBe(false);
  });

  it("lets only our own UI write to the clipboard (its Copy buttons)", () => {
    const { ask, check } = hardened();
    expect(ask("clipboard-sanitized-write")).toBe(true);
    expect(check("clipboard-sanitized-write")).toBe(true);
    expect(ask("clipboard-sanitized-write", "https://evil.example/")).toBe(false);
    expect(check("clipboard-sanitized-write", "app://other")).toBe(false);
    expect(check("clipboard-sanitized-write", "")).toBe(false);
  });

  it("cancels every remote request", () => {
    const { filter, before } = hardened();
    expect(filter?.urls).toEqual(
      expect.arrayContaining(["http://*/*", "https://*/*", "ws://*/*", "wss://*/*"]),
    );
    const responses: { cancel: boolean }[] = [];
    before?.({ url: "https://cdn.example/x.js" }, (r) => responses.push(r));
    expect(responses).toEqual([{ cancel: true }]);
  });
});
