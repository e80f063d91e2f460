/** When an upstream counts as "keeps crashing". */
import { describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import type { ServerStatus } from "../../shared/contract.js";

const server = (
  restarts: number,
  state: ServerStatus["state"] = "restarting",
  name = "virt",
): ServerStatus => ({
  name,
  transport: "stdio",
  state,
  tools: [],
  stderr: [],
  restarts,
  endpoint: "",
});

describe("crash watch", () => {
  it("reports the third restart within the window, once", () => {
    let now = 0;
    const watch = new CrashWatch({ threshold: 3, windowMs: 60_000, now: () => now });
    const kinds: string[][] = [];
    for (const restarts of [0, 1, 2, 3, 4, 5]) {
      now += 1_000;
      kinds.push(watch.update([server(restarts)]).map((r) => `${r.kind}:${r.recentRestarts}`));
    }
    expect(kinds).toEqual([[], [], [], ["crashing:3"], [], []]);
  });

  it("restarts spread wider than the window are not a crash loop", () => {
    let now = 0;
    const watch = new CrashWatch({ threshold: 3, windowMs: 60_000, now: () => now });
    watch.update([server(0, "connected")]);
    const reports = [];
    for (const restarts of [1, 2, 3, 4]) {
      now += 40_000;
      reports.push(...watch.update([server(restarts)]));
    }
    expect(reports).toEqual([]);
  });

  it("a server that was stable for a window starts a new episode", () => {
    let now = 0;
    const watch = new CrashWatch({ threshold: 2, windowMs: 10_000, now: () => now });
    watch.update([server(0, "connected")]);
    expect(watch.update([server(2)])).toHaveLength(1);
    now += 60_000;
    expect(watch.update([server(2, "connected")])).toEqual([]);
    now += 1;
    expect(watch.update([server(4)])).toHaveLength(1);
  });

  it("reports a server the core gave up on, once, and again after it came back and failed anew", () => {
    const watch = new CrashWatch();
    expect(watch.update([server(9, "failed")]).map((r) => r.kind)).toEqual(["failed"]);
    expect(watch.update([server(9, "failed")])).toEqual([]);
    watch.update([server(9, "connected")]);
    expect(watch.update([server(10, "failed")]).map((r) => r.kind)).toEqual(["failed"]);
  });

  it("tracks servers separately", () => {
    const watch = new CrashWatch({ threshold: 2, now: () => 0 });
    watch.update([server(0, "connected", "a"), server(0, "connected", "b")]);
    const reports = watch.update([server(2, "restarting", "a"), server(1, "restarting", "b")]);
    expect(reports.map((r) => r.server.name)).toEqual(["a"]);
  });
});
