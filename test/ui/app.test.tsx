// @vitest-environment happy-dom
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../../renderer/src/app/App.js";
import { UnauthorizedError } from "../../renderer/src/bridge/http.js";
import { type Bridge, ConnectionStore } from "../../renderer/src/bridge/index.js";
import type { WardenState } from "../../shared/contract.js";
import { approval, call, fakeApi, foundConfig, POLICY_TEXT, server } from "./fake-api.js";

afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, "", "/"));

function bridge(api = fakeApi(), overrides: Partial<Bridge> = {}): Bridge {
  return { kind: "http", api, hasToken: true, connection: new ConnectionStore("open"), ...overrides };
}

describe("App", () => {
  it("shows the header with upstream status and the views' navigation", async () => {
    const api = fakeApi({
      getState: vi.fn(async () => ({
        denyAll: false,
        servers: [server(), server({ name: "b", state: "failed" })],
        pending: [],
        callsToday: 0,
        auditDisk: { bytes: 0, limit: 1 },
      })),
    });
    render(<App bridge={bridge(api)} />);
    expect(await screen.findByText("1/2 connected, 1 failed")).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Views" });
    expect(
      within(nav)
        .getAllByRole("link")
        .map((a) => a.textContent),
    ).toEqual(["Live calls", "Approvals", "Policy", "Servers"]);
    expect(within(nav).getByRole("link", { name: "Live calls" }).getAttribute("aria-current")).toBe("page");
  });

  it("warns about the audit log's disk from the snapshot and the auditDisk event, and stops when it is well", async () => {
    const near = {
      bytes: 850,
      limit: 1000,
      warning: "near-bound" as const,
      message: "The audit log uses 850 B of its 1000 B bound (85 %): at the bound new calls are refused.",
    };
    const api = fakeApi({
      getState: vi.fn(async () => ({
        denyAll: false,
        servers: [],
        pending: [],
        callsToday: 0,
        auditDisk: near,
      })),
    });
    render(<App bridge={bridge(api)} />);
    const banner = await screen.findByRole("alert");
    expect(banner.textContent).toBe(near.message);
    expect(banner.className).toBe("banner warn");
    act(() => api.emit("auditDisk", { ...near, warning: "full", message: "The audit log is full." }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("The audit log is full."));
    expect(screen.getByRole("alert").className).toBe("banner bad");
    act(() => api.emit("auditDisk", { bytes: 10, limit: 1000 }));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
  });

  it("names the view and the waiting calls in the window title; the skip link keeps the route", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/#/servers");
    render(<App bridge={bridge(api)} />);
    await screen.findByRole("switch", { name: "Deny all" });
    expect(document.title).toBe("Servers — MCP Warden");
    act(() => api.emit("approvalAdded", approval()));
    await waitFor(() => expect(document.title).toBe("(1) Servers — MCP Warden"));
    await user.click(screen.getByRole("button", { name: "Skip to content" }));
    expect(window.location.hash).toBe("#/servers");
    expect(document.activeElement?.id).toBe("main");
  });

  it("Deny all is a switch that calls setDenyAll, and follows the denyAll event", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    render(<App bridge={bridge(api)} />);
    const toggle = await screen.findByRole("switch", { name: "Deny all" });
    expect(toggle.getAttribute("aria-checked")).toBe("false");
    await user.click(toggle);
    expect(api.setDenyAll).toHaveBeenCalledWith({ on: true });
    act(() => api.emit("denyAll", { on: true }));
    expect(toggle.getAttribute("aria-checked")).toBe("true");
    expect(screen.getByText(/Deny-all is on/)).toBeTruthy();
  });

  it("streams calls into the live view as events arrive", async () => {
    const old = call({ id: "old", tool: "list_vms" });
    const api = fakeApi({ listCalls: vi.fn(async ({ before }) => (before ? [] : [old])) });
    render(<App bridge={bridge(api)} />);
    await screen.findByText("1 call loaded");
    act(() => api.emit("call", call({ id: "new", tool: "stop_vm", status: "awaiting-approval" })));
    expect(await screen.findByText("2 calls loaded")).toBeTruthy();
    act(() => api.emit("call", call({ id: "new", tool: "stop_vm", status: "approved" })));
    await waitFor(() => expect(screen.getAllByText("approved").length).toBeGreaterThan(0));
    expect(screen.getByText("2 calls loaded")).toBeTruthy();
  });

  it("keeps pending approvals from events and points to them from other views", async () => {
    const api = fakeApi();
    render(<App bridge={bridge(api)} />);
    await screen.findByRole("switch", { name: "Deny all" });
    const pending = approval();
    act(() => api.emit("approvalAdded", pending));
    expect(await screen.findByText(/A call is waiting for your approval/)).toBeTruthy();
    expect(screen.getByRole("link", { name: /Approvals/ }).textContent).toContain("1");
    act(() => api.emit("approvalEnded", { id: pending.id, callId: pending.callId, end: "approved" }));
    await waitFor(() => expect(screen.queryByText(/waiting for your approval/)).toBeNull());
  });

  it("a request that ends while shown stays said in the prompt and the queue, with how it ended", async () => {
    window.history.replaceState(null, "", "/#/approvals");
    const api = fakeApi();
    render(<App bridge={bridge(api)} />);
    await waitFor(() => expect(api.getState).toHaveBeenCalled());
    const [first, second] = [
      approval({ args: { vm_name: "web-1" } }),
      approval({ args: { vm_name: "web-2" } }),
    ];
    act(() => {
      api.emit("approvalAdded", first);
      api.emit("approvalAdded", second);
    });
    await screen.findByRole("heading", { level: 2, name: /web-1/ });
    act(() => {
      api.emit("approvalEnded", { id: first.id, callId: first.callId, end: "deny-all" });
      api.emit("approvalEnded", { id: second.id, callId: second.callId, end: "timed-out" });
    });
    expect((await screen.findByRole("status")).textContent).toBe(
      "Stop VM web-1 on virt: denied by Deny-all.",
    );
    const ended = screen.getByRole("list", { name: "Just ended" });
    expect(
      [...ended.querySelectorAll("li")].map((li) => li.querySelector(".queue-meta")?.textContent),
    ).toEqual([
      expect.stringMatching(/^timed out: no one answered in time, so it was denied · /),
      expect.stringMatching(/^denied by Deny-all · /),
    ]);
    expect(screen.getByText("No call is waiting for your approval.")).toBeTruthy();
  });

  it("shows the prompt alone at #/approval (the Electron app's approval window)", async () => {
    window.history.replaceState(null, "", "/#/approval");
    const api = fakeApi({
      getState: vi.fn(async () => ({
        denyAll: false,
        servers: [],
        pending: [approval()],
        callsToday: 0,
        auditDisk: { bytes: 0, limit: 1 },
      })),
    });
    render(<App bridge={bridge(api)} />);
    // Before the state arrives the window shows its empty state: wait for the request itself.
    expect(
      await screen.findByRole("heading", { level: 2, name: /Stop VM\s*dev-web\s*on\s*virt\s*\?/ }),
    ).toBeTruthy();
    expect(screen.queryByRole("navigation")).toBeNull();
  });

  it("in the approval window, shows first the request named in the query (?approval=<id>)", async () => {
    const older = approval({ args: { vm_name: "old-vm" }, createdAt: 1 });
    const clicked = approval({ tool: "stop_vm", createdAt: 2 });
    window.history.replaceState(null, "", `/?approval=${clicked.id}#/approval`);
    const api = fakeApi({
      getState: vi.fn(async () => ({
        denyAll: false,
        servers: [],
        pending: [older, clicked],
        callsToday: 0,
        auditDisk: { bytes: 0, limit: 1 },
      })),
    });
    render(<App bridge={bridge(api)} />);
    await waitFor(() =>
      expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Stop VM dev-web on virt?"),
    );
    expect(screen.getByText("Waiting for approval (2)")).toBeTruthy();
  });

  it("asks for the URL with the token when there is none or the core refuses it", async () => {
    render(<App bridge={bridge(fakeApi(), { hasToken: false })} />);
    expect(screen.getByText(/is not signed in/)).toBeTruthy();
    cleanup();
    const refused = fakeApi({ getState: vi.fn(async () => Promise.reject(new UnauthorizedError("no"))) });
    render(<App bridge={bridge(refused)} />);
    expect(await screen.findByText(/is not signed in/)).toBeTruthy();
  });

  it("says when the event stream is down, and re-reads the state when it is back", async () => {
    const api = fakeApi();
    const connection = new ConnectionStore("open");
    render(<App bridge={bridge(api, { connection })} />);
    await screen.findByRole("switch", { name: "Deny all" });
    expect(api.getState).toHaveBeenCalledTimes(1);
    act(() => connection.set("retrying"));
    expect(screen.getByText(/Lost the connection to the warden/)).toBeTruthy();
    act(() => connection.set("open"));
    await waitFor(() => expect(api.getState).toHaveBeenCalledTimes(2));
    expect(api.listCalls).toHaveBeenCalledTimes(2);
    expect(screen.queryByText(/Lost the connection/)).toBeNull();
  });
});

describe("App: welcome and starter policy", () => {
  const noServers = () =>
    vi.fn(async () => ({
      denyAll: false,
      servers: [],
      pending: [],
      callsToday: 0,
      auditDisk: { bytes: 0, limit: 1 },
    }));

  it("welcomes a warden with no servers when client configs are found, until dismissed", async () => {
    const user = userEvent.setup();
    const api = fakeApi({ getState: noServers(), findClients: vi.fn(async () => [foundConfig()]) });
    render(<App bridge={bridge(api)} />);
    const welcome = await screen.findByRole("region", { name: "Welcome to MCP Warden" });
    // The title is set by an effect, which may run just after the region is found.
    await waitFor(() => expect(document.title).toBe("Welcome — MCP Warden"));
    expect(within(welcome).getByRole("group", { name: "Cursor: /home/me/.cursor/mcp.json" })).toBeTruthy();
    expect(welcome.textContent).toContain("2 servers, 0 already through the warden");
    expect(screen.queryByRole("list", { name: "Calls, newest first" })).toBeNull();
    expect(api.findClients).toHaveBeenCalledTimes(1);
    await user.click(within(welcome).getByRole("button", { name: "Continue" }));
    expect(screen.queryByRole("region", { name: "Welcome to MCP Warden" })).toBeNull();
    expect(await screen.findByText(/No calls yet/)).toBeTruthy();
  });

  it("keeps the welcome while servers appear after Protect, and a view link ends it", async () => {
    const user = userEvent.setup();
    const found = foundConfig();
    const api = fakeApi({
      getState: noServers(),
      findClients: vi.fn(async () => [found]),
      wrapClient: vi.fn(async () => ({
        ok: true,
        result: {
          configPath: found.path,
          serversPath: "/data/servers.json",
          changed: true,
          grant: "cursor",
          entries: [{ label: "mcpServers.vms", outcome: "moved" as const, server: "vms" }],
        },
      })),
    });
    render(<App bridge={bridge(api)} />);
    const welcome = await screen.findByRole("region", { name: "Welcome to MCP Warden" });
    await user.click(within(welcome).getByRole("button", { name: "Protect" }));
    act(() => api.emit("servers", [server({ name: "vms" })]));
    await waitFor(() => expect(welcome.textContent).toContain("Restart Cursor to use it."));
    expect(welcome.textContent).toContain("The warden now guards 1 server");
    expect(screen.getByRole("region", { name: "Welcome to MCP Warden" })).toBe(welcome);
    const nav = screen.getByRole("navigation", { name: "Views" });
    await user.click(within(nav).getByRole("link", { name: /^Servers/ }));
    await waitFor(() => expect(screen.queryByRole("region", { name: "Welcome to MCP Warden" })).toBeNull());
    expect(await screen.findByRole("region", { name: "vms" })).toBeTruthy();
  });

  it("does not welcome when servers exist or no client config is found", async () => {
    const withServers = fakeApi({ findClients: vi.fn(async () => [foundConfig()]) });
    render(<App bridge={bridge(withServers)} />);
    await screen.findByText("1/1 connected");
    expect(withServers.findClients).not.toHaveBeenCalled();
    expect(screen.queryByRole("region", { name: "Welcome to MCP Warden" })).toBeNull();
    cleanup();

    const nothingFound = fakeApi({ getState: noServers() });
    render(<App bridge={bridge(nothingFound)} />);
    await waitFor(() => expect(nothingFound.findClients).toHaveBeenCalled());
    await screen.findByText(/No calls yet/);
    expect(screen.queryByRole("region", { name: "Welcome to MCP Warden" })).toBeNull();
  });

  it("a starter policy opens in the policy editor as an unsaved edit, saved only by Save", async () => {
    const user = userEvent.setup();
    const starter = `${JSON.stringify({ version: "1", default: "approve", tools: { list_vms: { action: "allow" } } }, null, 2)}\n`;
    const api = fakeApi({ starterPolicy: vi.fn(async () => ({ text: starter })) });
    window.history.replaceState(null, "", "/#/servers");
    render(<App bridge={bridge(api)} />);
    await user.click(await screen.findByRole("button", { name: "Starter policy for virt" }));
    await waitFor(() => expect(window.location.hash).toBe("#/policy"));
    // The policy editor is loaded on first use; a cold load can take longer than findBy's default second.
    const note = await screen.findByRole("note", {}, { timeout: 15_000 });
    expect(note.textContent).toContain('Starter policy for "virt"');
    expect(note.textContent).toContain("not saved");
    expect(await screen.findByText("Edited, not saved")).toBeTruthy();
    const editor = await waitFor(() => {
      const dom = document.querySelector(".cm-content");
      if (!dom) throw new Error("no editor");
      return dom;
    });
    expect(editor.textContent).toContain('"default": "approve"');
    expect(api.savePolicy).not.toHaveBeenCalled();

    // Leaving and coming back shows the running policy again: the starter was taken once.
    await user.click(screen.getByRole("link", { name: /^Servers/ }));
    await user.click(screen.getByRole("link", { name: /^Policy/ }));
    await screen.findByText("Saved");
    expect(screen.queryByText(/Starter policy for/)).toBeNull();
    expect(POLICY_TEXT).not.toContain('"default": "approve"');

    await user.click(screen.getByRole("link", { name: /^Servers/ }));
    await user.click(await screen.findByRole("button", { name: "Starter policy for virt" }));
    await screen.findByText("Edited, not saved");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(api.savePolicy).toHaveBeenCalledWith({ text: starter });
    await waitFor(() => expect(screen.queryByText(/Starter policy for/)).toBeNull());
  });
});

describe("the first state read and the events around it", () => {
  it("an approval announced while getState is on its way is not lost when the (older) state arrives", async () => {
    window.history.replaceState(null, "", "/#/approvals");
    let answer: (state: WardenState) => void = () => {};
    const api = fakeApi({
      getState: vi.fn(
        () =>
          new Promise<WardenState>((resolve) => {
            answer = resolve;
          }),
      ),
    });
    render(<App bridge={bridge(api)} />);
    await waitFor(() => expect(api.getState).toHaveBeenCalled());
    const waiting = approval();
    act(() => api.emit("approvalAdded", waiting));
    await act(async () =>
      answer({ denyAll: false, servers: [], pending: [], callsToday: 0, auditDisk: { bytes: 0, limit: 1 } }),
    );
    expect(
      await screen.findByRole("heading", { level: 2, name: /Stop VM\s*dev-web\s*on\s*virt\s*\?/ }),
    ).toBeTruthy();
  });
});
