/** IPC: one handler per contract method, only our windows on our UI origin answered, events to our windows. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  forwardEvents,
  isTrustedSender,
  registerIpcHandlers,
  TrustedSenders,
  UntrustedSenderError,
} from "../../main/app/ipc.js";
import { UI_ORIGIN } from "../../main/app/protocol.js";
import type { Runtime } from "../../main/core/runtime.js";
import { WARDEN_EVENTS, WARDEN_METHODS, type WardenState } from "../../shared/contract.js";
import { EVENT_CHANNEL, methodChannel } from "../../shared/ipc.js";
import { FakeIpcMain, FakeWebContents, invokeEvent, pendingStopVm, startCore } from "./fakes.js";

let core: { runtime: Runtime; close: () => Promise<void> };
beforeAll(async () => {
  core = await startCore();
});
afterAll(async () => {
  await core.close();
});

function setUp() {
  const ipcMain = new FakeIpcMain();
  const trusted = new TrustedSenders();
  const ours = new FakeWebContents();
  trusted.add(ours);
  const refused: string[] = [];
  const remove = registerIpcHandlers({
    ipcMain,
    handlers: core.runtime.warden.methods,
    trusted,
    uiOrigin: UI_ORIGIN,
    onRefused: (channel) => refused.push(channel),
  });
  return { ipcMain, trusted, ours, refused, remove };
}

describe("IPC handlers", () => {
  it("register exactly one channel per contract method, and remove them all", () => {
    const { ipcMain, remove } = setUp();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(WARDEN_METHODS.map((m) => methodChannel(m)).sort());
    remove();
    expect(ipcMain.handlers.size).toBe(0);
    expect(ipcMain.removed.sort()).toEqual(WARDEN_METHODS.map((m) => methodChannel(m)).sort());
  });

  it("a trusted window reaches the real core's methods", async () => {
    const { ipcMain, ours } = setUp();
    const state = (await ipcMain.invoke(methodChannel("getState"), invokeEvent(ours.id), {})) as WardenState;
    expect(state).toMatchObject({ denyAll: false, pending: [], servers: [] });

    const { id, ended } = pendingStopVm(core.runtime);
    const approvals = (await ipcMain.invoke(methodChannel("listApprovals"), invokeEvent(ours.id))) as {
      id: string;
    }[];
    expect(approvals.map((a) => a.id)).toContain(id);
    expect(await ipcMain.invoke(methodChannel("deny"), invokeEvent(ours.id), { id })).toEqual({ ok: true });
    expect(await ended).toBe("denied");

    expect(await ipcMain.invoke(methodChannel("setDenyAll"), invokeEvent(ours.id), { on: true })).toEqual({
      denyAll: true,
    });
    expect(core.runtime.warden.denyAll).toBe(true);
    await ipcMain.invoke(methodChannel("setDenyAll"), invokeEvent(ours.id), { on: false });
    expect(core.runtime.warden.denyAll).toBe(false);
  });

  it("a sender that is not one of our windows is refused and never reaches the core", async () => {
    const { ipcMain, refused } = setUp();
    const stranger = new FakeWebContents();
    await expect(
      ipcMain.invoke(methodChannel("setDenyAll"), invokeEvent(stranger.id), { on: true }),
    ).rejects.toBeInstanceOf(UntrustedSenderError);
    expect(core.runtime.warden.denyAll).toBe(false);
    expect(refused).toEqual([methodChannel("setDenyAll")]);
  });

  it("our window is refused once it shows another origin, from a subframe, or after it is destroyed", async () => {
    const { ipcMain, ours, trusted } = setUp();
    const { id, ended } = pendingStopVm(core.runtime);
    const attempts = [
      invokeEvent(ours.id, "https://evil.example/#/calls"),
      invokeEvent(ours.id, "app://wardenx/index.html"),
      invokeEvent(ours.id, "file:///etc/passwd"),
      { sender: { id: ours.id }, senderFrame: { url: `${UI_ORIGIN}/index.html`, parent: {} } },
      { sender: { id: ours.id }, senderFrame: null },
    ];
    for (const event of attempts) {
      await expect(ipcMain.invoke(methodChannel("approve"), event, { id })).rejects.toThrow(/refused/);
    }
    ours.destroyed = true;
    expect(trusted.has(ours.id)).toBe(false);
    await expect(ipcMain.invoke(methodChannel("approve"), invokeEvent(ours.id), { id })).rejects.toThrow(
      /refused/,
    );
    expect(core.runtime.warden.broker.list().map((a) => a.id)).toContain(id);
    core.runtime.warden.broker.deny(id);
    expect(await ended).toBe("denied");
  });

  it("parameters must be an object; none means {}", async () => {
    const { ipcMain, ours } = setUp();
    await expect(ipcMain.invoke(methodChannel("listCalls"), invokeEvent(ours.id), "x")).rejects.toThrow(
      /must be an object/,
    );
    await expect(ipcMain.invoke(methodChannel("listCalls"), invokeEvent(ours.id), [1])).rejects.toThrow(
      /must be an object/,
    );
    expect(await ipcMain.invoke(methodChannel("listCalls"), invokeEvent(ours.id))).toEqual(expect.any(Array));
  });

  it("isTrustedSender wants a trusted id, the top frame and our origin", () => {
    const trusted = new TrustedSenders();
    const ours = new FakeWebContents();
    trusted.add(ours);
    expect(isTrustedSender(invokeEvent(ours.id), trusted, UI_ORIGIN)).toBe(true);
    expect(isTrustedSender(invokeEvent(ours.id + 1), trusted, UI_ORIGIN)).toBe(false);
    trusted.delete(ours.id);
    expect(isTrustedSender(invokeEvent(ours.id), trusted, UI_ORIGIN)).toBe(false);
  });
});

describe("events", () => {
  it("every contract event reaches our live windows on EVENT_CHANNEL, as {event, payload}", () => {
    const trusted = new TrustedSenders();
    const a = new FakeWebContents();
    const b = new FakeWebContents();
    const gone = new FakeWebContents();
    for (const c of [a, b, gone]) trusted.add(c);
    gone.destroyed = true;
    const off = forwardEvents(core.runtime.warden.events, trusted);

    core.runtime.warden.setDenyAll(true);
    core.runtime.warden.setDenyAll(false);
    expect(a.sent).toEqual([
      { channel: EVENT_CHANNEL, args: [{ event: "denyAll", payload: { on: true } }] },
      { channel: EVENT_CHANNEL, args: [{ event: "denyAll", payload: { on: false } }] },
    ]);
    expect(b.sent).toEqual(a.sent);
    expect(gone.sent).toEqual([]);

    const { id } = pendingStopVm(core.runtime);
    core.runtime.warden.broker.deny(id);
    const events = a.sent.map((m) => (m.args[0] as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(["call", "approvalAdded", "approvalEnded"]));
    expect(events.every((e) => (WARDEN_EVENTS as readonly string[]).includes(e))).toBe(true);

    off();
    core.runtime.warden.setDenyAll(true);
    core.runtime.warden.setDenyAll(false);
    expect(
      a.sent.map((m) => (m.args[0] as { event: string }).event).filter((e) => e === "denyAll"),
    ).toHaveLength(2);
  });
});
