/** The preload exposes exactly the contract, as `window.warden`, and nothing of IPC itself. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it, vi } from "vitest";
import { createWardenApi, exposeWardenApi, type IpcRendererLike } from "../../main/app/preload-api.js";
import { WARDEN_METHODS, type WardenApi } from "../../shared/contract.js";
import { EVENT_CHANNEL, methodChannel, PRELOAD_GLOBAL } from "../../shared/ipc.js";
import { repoRoot } from "../helpers/warden.js";
import { tempFolder } from "./fakes.js";

type Handler = (event: unknown, ...args: unknown[]) => void;

/** An ipcRenderer stand-in: records invokes and lets the test deliver messages. */
class FakeIpcRenderer implements IpcRendererLike {
  invokes: { channel: string; args: unknown[] }[] = [];
  listeners = new Map<string, Handler[]>();
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invokes.push({ channel, args });
    return { answered: channel };
  }
  on(channel: string, listener: Handler): this {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return this;
  }
  removeListener(channel: string, listener: Handler): this {
    this.listeners.set(
      channel,
      (this.listeners.get(channel) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  deliver(message: unknown): void {
    const rawEvent = { sender: "the IPC event", ports: [] };
    for (const l of this.listeners.get(EVENT_CHANNEL) ?? []) l(rawEvent, message);
  }
  count(channel = EVENT_CHANNEL): number {
    return this.listeners.get(channel)?.length ?? 0;
  }
}

describe("preload", () => {
  it("exposes one object under PRELOAD_GLOBAL with exactly the contract's methods and on", () => {
    const exposed: { key: string; api: unknown }[] = [];
    const ipc = new FakeIpcRenderer();
    exposeWardenApi({ exposeInMainWorld: (key, api) => exposed.push({ key, api }) }, ipc);
    expect(exposed.map((e) => e.key)).toEqual([PRELOAD_GLOBAL]);
    const api = exposed[0]?.api as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...WARDEN_METHODS, "on"].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe("function");
    expect(Object.isFrozen(api)).toBe(true);
    expect(api).not.toHaveProperty("invoke");
    expect(api).not.toHaveProperty("send");
  });

  it("each method invokes its own channel with its parameters only", async () => {
    const ipc = new FakeIpcRenderer();
    const api = createWardenApi(ipc);
    expect(await api.approve({ id: "a1" })).toEqual({ answered: "warden:approve" });
    await api.setDenyAll({ on: true });
    await (api.getState as (p?: unknown) => Promise<unknown>)();
    expect(ipc.invokes).toEqual([
      { channel: methodChannel("approve"), args: [{ id: "a1" }] },
      { channel: methodChannel("setDenyAll"), args: [{ on: true }] },
      { channel: methodChannel("getState"), args: [{}] },
    ]);
    for (const method of WARDEN_METHODS) {
      await (api[method] as (p: unknown) => Promise<unknown>)({});
      expect(ipc.invokes.at(-1)?.channel).toBe(methodChannel(method));
    }
  });

  it("listeners get the payload of their event only, never the IPC event", () => {
    const ipc = new FakeIpcRenderer();
    const api: WardenApi = createWardenApi(ipc);
    const denyAll = vi.fn();
    const approvals = vi.fn();
    api.on("denyAll", denyAll);
    api.on("approvalEnded", approvals);
    ipc.deliver({ event: "denyAll", payload: { on: true } });
    ipc.deliver({ event: "approvalEnded", payload: { id: "a", callId: "c", end: "denied" } });
    ipc.deliver({ event: "notAnEvent", payload: 1 });
    ipc.deliver("garbage");
    expect(denyAll.mock.calls).toEqual([[{ on: true }]]);
    expect(approvals.mock.calls).toEqual([[{ id: "a", callId: "c", end: "denied" }]]);
  });

  it("one IPC listener serves all subscriptions and goes away with the last; a throwing listener harms no other", () => {
    const ipc = new FakeIpcRenderer();
    const api = createWardenApi(ipc);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const good = vi.fn();
    const offBad = api.on("denyAll", () => {
      throw new Error("boom");
    });
    const offGood = api.on("denyAll", good);
    expect(ipc.count()).toBe(1);
    ipc.deliver({ event: "denyAll", payload: { on: false } });
    expect(good).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledTimes(1);
    offBad();
    offBad();
    expect(ipc.count()).toBe(1);
    offGood();
    expect(ipc.count()).toBe(0);
    ipc.deliver({ event: "denyAll", payload: { on: true } });
    expect(good).toHaveBeenCalledTimes(1);
    errors.mockRestore();
  });

  it("refuses unknown events and non-function listeners", () => {
    const api = createWardenApi(new FakeIpcRenderer());
    expect(() => api.on("nope" as "denyAll", () => {})).toThrow(/no event/);
    expect(() => api.on("denyAll", "x" as never)).toThrow(/function/);
  });
});

describe("the bundled preload", () => {
  it("is one CommonJS file that requires only electron, and exposes the contract when run sandboxed", async () => {
    const folder = tempFolder();
    try {
      // The same options scripts/build.mjs uses for out/preload/preload.cjs.
      await build({
        bundle: true,
        platform: "node",
        target: "node20",
        external: ["electron"],
        format: "cjs",
        entryPoints: { preload: join(repoRoot, "main", "app", "preload.ts") },
        outdir: folder.dir,
        outExtension: { ".js": ".cjs" },
        logLevel: "silent",
      });
      const code = readFileSync(join(folder.dir, "preload.cjs"), "utf8");
      const required = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
      expect(required).toEqual(["electron"]);

      const exposed = new Map<string, unknown>();
      const ipc = new FakeIpcRenderer();
      const electron = {
        contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
        ipcRenderer: ipc,
      };
      const module = { exports: {} };
      // A sandboxed preload has require("electron") and little else: no Node modules are given.
      runInNewContext(code, {
        require: (name: string) => {
          if (name !== "electron") throw new Error(`a sandboxed preload cannot require ${name}`);
          return electron;
        },
        module,
        exports: module.exports,
        console,
      });
      expect([...exposed.keys()]).toEqual([PRELOAD_GLOBAL]);
      const api = exposed.get(PRELOAD_GLOBAL) as Record<string, (p: unknown) => Promise<unknown>>;
      expect(Object.keys(api).sort()).toEqual([...WARDEN_METHODS, "on"].sort());
      await api.listApprovals?.({});
      expect(ipc.invokes).toEqual([{ channel: methodChannel("listApprovals"), args: [{}] }]);
    } finally {
      folder.remove();
    }
  });
});
