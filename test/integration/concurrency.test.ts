/** Limits under a storm: 10,000 simultaneous calls from several clients and sessions, across scopes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  callTool,
  grantArgs,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  virtualizationServer,
} from "../helpers/warden.js";

/** Replaces fetch's connection pool with one of at most `connections` per origin; returns the undo. */
function capConnections(connections: number): () => void {
  const key = Symbol.for("undici.globalDispatcher.1");
  const holder = globalThis as unknown as Record<symbol, { constructor: new (options: object) => unknown }>;
  const previous = holder[key];
  if (!previous) throw new Error("fetch has no global dispatcher yet");
  holder[key] = new previous.constructor({ connections, connect: { timeout: 60_000 } }) as never;
  return () => {
    holder[key] = previous;
  };
}

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("10,000 simultaneous calls", () => {
  it("forward exactly max per scope: 10 in all for a global limit, 10 per client for a grant limit", async () => {
    const state = join(tempDir(), "virt.json");
    warden = await startWarden({
      policy: JSON.stringify({
        version: "1",
        default: "deny",
        tools: {
          pause_vm: { limits: [{ counter: "pauses", window: "hour", max: 10, scope: "global" }] },
          resume_vm: { limits: [{ counter: "resumes", window: "hour", max: 10, scope: "grant" }] },
        },
      }),
      // One process for both clients (`share`), so its state file journals every call that reached it.
      servers: { virt: { ...virtualizationServer("testing", state), share: true } },
      extraArgs: grantArgs("cursor", "cursor-token"),
    });
    const w = warden;
    // 10,000 calls in flight at once. The test process opens at most 256 connections for them (the rest
    // queue in the client, as a browser's or an agent's HTTP stack would); without a cap, 10,000 sockets
    // connecting at once on a loaded 2-core machine time out in the kernel before the warden sees them.
    await w.api("getState");
    const restore = capConnections(256);
    const clients = await Promise.all([
      w.client("virt"),
      w.client("virt"),
      w.client("virt", "cursor-token"),
      w.client("virt", "cursor-token"),
    ]);
    const calls = Array.from({ length: 10_000 }, (_, i) => {
      const client = clients[i % clients.length];
      if (!client) throw new Error("no client");
      return callTool(client, i % 2 ? "resume_vm" : "pause_vm", { vm_name: `vm-${i}` });
    });
    const results = await Promise.all(calls).finally(restore);
    expect(results.filter((r) => !r.isError)).toHaveLength(30);
    const forwarded = readState(state).calls;
    expect(forwarded.filter((c) => c.tool === "pause_vm")).toHaveLength(10);
    expect(forwarded.filter((c) => c.tool === "resume_vm")).toHaveLength(20);
  }, 120_000);
});

describe("kill -9 in the middle of 2,000 calls", () => {
  it("every call that reached the upstream has its decision on disk, and the counters carry on after restart", async () => {
    const state = join(tempDir(), "virt.json");
    const servers = { virt: virtualizationServer("testing", state) };
    const MAX = 1_000;
    warden = await startWarden({
      policy: JSON.stringify({
        version: "1",
        default: "deny",
        tools: { stop_vm: { limits: [{ counter: "stops", window: "hour", max: MAX }] } },
      }),
      servers,
    });
    const w = warden;
    const client = await w.client("virt");
    let next = 0;
    const worker = async () => {
      while (next < 2_000) {
        const i = next++;
        await callTool(client, "stop_vm", { vm_name: `vm-${i}` }).catch(() => undefined);
      }
    };
    const workers = Array.from({ length: 10 }, worker);
    while (readState(state).calls.length < 600) await new Promise((r) => setTimeout(r, 20));
    await w.stop("SIGKILL");
    next = 2_000;
    await Promise.all(workers);

    const lines = readFileSync(join(w.dataDir, "audit.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            t: string;
            id: string;
            args?: { vm_name?: string };
            counterKeys?: string[];
            released?: boolean;
          },
      );
    const decided = new Set(lines.filter((l) => l.t === "decision").map((l) => l.args?.vm_name));
    const reached = readState(state).calls.map((c) => c.args.vm_name as string);
    expect(reached.length).toBeGreaterThanOrEqual(600);
    expect(reached.filter((name) => !decided.has(name))).toEqual([]);

    const released = new Set(lines.filter((l) => l.released).map((l) => l.id));
    const counted = lines.filter(
      (l) => l.t === "decision" && l.counterKeys?.length && !released.has(l.id),
    ).length;
    warden = await startWarden({ servers, dataDir: w.dataDir });
    const again = await warden.client("virt");
    let allowed = 0;
    for (let i = 0; i < MAX - counted + 3; i++) {
      if (!(await callTool(again, "stop_vm", { vm_name: `after-${i}` })).isError) allowed++;
    }
    expect(allowed).toBe(MAX - counted);
  }, 120_000);
});
