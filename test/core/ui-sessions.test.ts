/** The UI's sign-in: one-time codes that expire, sessions of two halves that end when idle. */
import { describe, expect, it } from "vitest";
import { CODE_TTL_MS, SESSION_HEADER, UI_SESSION_IDLE_MS, UiSessions } from "../../main/core/ui-sessions.js";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function headersOf(setCookie: string, binding: string) {
  return { cookie: `other=1; ${setCookie.split(";")[0]}`, [SESSION_HEADER]: binding };
}

describe("UiSessions", () => {
  it("a code is good once, and only until it expires", () => {
    const time = clock();
    const ui = new UiSessions(17_430, time.now);
    const code = ui.newCode();
    expect(ui.exchange(code)).toBeDefined();
    expect(ui.exchange(code)).toBeUndefined();
    const late = ui.newCode();
    time.advance(CODE_TTL_MS + 1);
    expect(ui.exchange(late)).toBeUndefined();
    expect(ui.exchange(undefined)).toBeUndefined();
    expect(ui.exchange("made-up")).toBeUndefined();
  });

  it("the cookie is named after the port, HttpOnly, SameSite=Strict, Path=/, with no Domain", () => {
    // A code is only good on the instance that made it.
    expect(new UiSessions(40_001).exchange(new UiSessions(40_001).newCode())).toBeUndefined();
    const ui = new UiSessions(40_001);
    const { setCookie } = ui.exchange(ui.newCode()) ?? { setCookie: "" };
    expect(setCookie).toMatch(/^mcp-warden-40001=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\/$/);
  });

  it("authorizes both halves together; either alone, another instance's, or an idle one does not", () => {
    const time = clock();
    const ui = new UiSessions(17_430, time.now);
    const { setCookie, binding } = ui.exchange(ui.newCode()) ?? { setCookie: "", binding: "" };
    expect(ui.authorizes(headersOf(setCookie, binding))).toBe(true);
    expect(ui.authorizes({ cookie: setCookie.split(";")[0] })).toBe(false);
    expect(ui.authorizes({ [SESSION_HEADER]: binding })).toBe(false);
    expect(ui.authorizes(headersOf(setCookie, `${binding}x`))).toBe(false);
    // A warden started anew (same port) knows none of the old sessions.
    expect(new UiSessions(17_430, time.now).authorizes(headersOf(setCookie, binding))).toBe(false);
    // Use keeps it alive; a long idle ends it.
    time.advance(UI_SESSION_IDLE_MS - 1);
    expect(ui.authorizes(headersOf(setCookie, binding))).toBe(true);
    time.advance(UI_SESSION_IDLE_MS + 1);
    expect(ui.authorizes(headersOf(setCookie, binding))).toBe(false);
  });
});
