/** The tray as a function of state: the icon, the status line and the menu for each state. */
import { describe, expect, it } from "vitest";
import { sameModel, type TrayState, trayModel } from "../../main/app/tray-model.js";

const base: TrayState = {
  denyAll: false,
  pending: 0,
  serversUp: 2,
  serversTotal: 3,
  callsToday: 12,
  startAtLogin: false,
};

describe("tray model", () => {
  it.each([
    { state: {}, icon: "normal" },
    { state: { pending: 1 }, icon: "pending" },
    { state: { pending: 4 }, icon: "pending" },
    { state: { denyAll: true }, icon: "deny-all" },
    { state: { denyAll: true, pending: 2 }, icon: "deny-all" },
  ] as { state: Partial<TrayState>; icon: string }[])("$state shows the $icon icon", ({ state, icon }) => {
    expect(trayModel({ ...base, ...state }).icon).toBe(icon);
  });

  it.each([
    { state: {}, status: "2/3 servers up · 12 calls today" },
    { state: { callsToday: 1, serversUp: 1, serversTotal: 1 }, status: "1/1 servers up · 1 call today" },
    { state: { serversUp: 0, serversTotal: 0, callsToday: 0 }, status: "No servers · 0 calls today" },
    { state: { denyAll: true }, status: "Deny all is ON · 2/3 servers up · 12 calls today" },
  ] as { state: Partial<TrayState>; status: string }[])(
    "the status line for $state reads “$status”",
    ({ state, status }) => {
      const first = trayModel({ ...base, ...state }).items[0];
      expect(first).toEqual({ kind: "status", label: status });
    },
  );

  it.each([
    { state: {}, denyAll: false, pending: "Waiting for approval (0)", login: false },
    { state: { denyAll: true }, denyAll: true, pending: "Waiting for approval (0)", login: false },
    { state: { pending: 3 }, denyAll: false, pending: "Waiting for approval (3)", login: false },
    { state: { startAtLogin: true }, denyAll: false, pending: "Waiting for approval (0)", login: true },
  ] as {
    state: Partial<TrayState>;
    denyAll: boolean;
    pending: string;
    login: boolean;
  }[])(
    "the menu for $state has every entry, checkboxes reflecting the state",
    ({ state, denyAll, pending, login }) => {
      const items = trayModel({ ...base, ...state }).items.filter((i) => i.kind !== "separator");
      expect(items.map((i) => ("label" in i ? i.label : ""))).toEqual([
        expect.any(String),
        "Deny all",
        pending,
        "Live calls",
        "Policy editor",
        "Servers",
        "Start at login",
        "Quit",
      ]);
      expect(items[1]).toEqual({
        kind: "checkbox",
        label: "Deny all",
        checked: denyAll,
        command: "toggleDenyAll",
      });
      expect(items[6]).toMatchObject({ kind: "checkbox", checked: login, command: "toggleStartAtLogin" });
      expect(items.slice(2).map((i) => ("command" in i ? i.command : undefined))).toEqual([
        "openApprovals",
        "openLiveCalls",
        "openPolicy",
        "openServers",
        "toggleStartAtLogin",
        "quit",
      ]);
    },
  );

  it.each([
    { state: {}, tooltip: "MCP Warden — 2/3 servers up · 12 calls today" },
    { state: { pending: 1 }, tooltip: "MCP Warden — 2/3 servers up · 12 calls today, 1 approval waiting" },
    {
      state: { denyAll: true, pending: 1 },
      tooltip: "MCP Warden — Deny all is ON: every tool call is refused",
    },
  ] as { state: Partial<TrayState>; tooltip: string }[])("the tooltip for $state", ({ state, tooltip }) => {
    expect(trayModel({ ...base, ...state }).tooltip).toBe(tooltip);
  });

  it("two equal states give the same model; any visible change gives another", () => {
    expect(sameModel(trayModel(base), trayModel({ ...base }))).toBe(true);
    expect(sameModel(undefined, trayModel(base))).toBe(false);
    for (const change of [
      { denyAll: true },
      { pending: 1 },
      { serversUp: 3 },
      { callsToday: 13 },
      { startAtLogin: true },
    ]) {
      expect(sameModel(trayModel(base), trayModel({ ...base, ...change }))).toBe(false);
    }
  });
});

describe("servers that need a sign-in", () => {
  it("each gets a 'Sign in to <server>' entry under the status that opens Servers, and the tooltip says so", () => {
    const model = trayModel({ ...base, signInNeeded: ["remote-crm"] });
    expect(model.items.slice(0, 3)).toEqual([
      { kind: "status", label: "2/3 servers up · 12 calls today" },
      { kind: "action", label: "Sign in to remote-crm", command: "openServers" },
      { kind: "separator" },
    ]);
    expect(model.tooltip).toBe("MCP Warden — 2/3 servers up · 12 calls today, sign-in needed for 1 server");
  });

  it("more than three are summed up after the first two; none adds nothing", () => {
    const labels = trayModel({ ...base, signInNeeded: ["a", "b", "c", "d"] }).items.map((i) =>
      "label" in i ? i.label : i.kind,
    );
    expect(labels.slice(1, 4)).toEqual(["Sign in to a", "Sign in to b", "Sign in to 2 more servers"]);
    expect(trayModel({ ...base, signInNeeded: [] })).toEqual(trayModel(base));
  });
});
