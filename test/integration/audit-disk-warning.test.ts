/**
 * The audit log warns before it is full, through the contract (getState and the `auditDisk` event): past
 * 80 % of its disk bound, when its disk has less free space than the threshold, and when calls are refused.
 */
import { EventEmitter, once } from "node:events";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditDiskState } from "../../shared/contract.js";
import { mountTmpfs, unmount } from "../helpers/tmpfs.js";
import {
  ADMIN_TOKEN,
  callTool,
  type RunningWarden,
  repoRoot,
  startWarden,
  tempDir,
} from "../helpers/warden.js";

const rawServer = { command: process.execPath, args: [join(repoRoot, "test", "fixtures", "raw-server.mjs")] };
const ALLOW = JSON.stringify({ version: "1", default: "allow", tools: {} });
const KIB = 1024;
const MIB = 1024 * KIB;

/** Whether a tmpfs can be mounted here (root on Linux): the low-disk case needs a small real disk. */
const canMount = (() => {
  const probe = mountTmpfs("64k");
  if (probe) unmount(probe);
  return probe !== undefined;
})();

let warden: RunningWarden | undefined;
let mounted: string | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
  if (mounted) unmount(mounted);
  mounted = undefined;
});

/** The `auditDisk` events of the warden's event stream, as the UI receives them. */
async function auditDiskEvents(
  w: RunningWarden,
): Promise<{ seen: AuditDiskState[]; count(n: number): Promise<AuditDiskState[]>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${w.url}/api/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: abort.signal,
  });
  const seen: AuditDiskState[] = [];
  const arrived = new EventEmitter();
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  void (async () => {
    for (;;) {
      const chunk = await reader?.read().catch(() => undefined);
      if (!chunk || chunk.done) return;
      buffer += chunk.value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^event: auditDisk\ndata: (.*)$/m.exec(event)?.[1];
        if (data) {
          seen.push(JSON.parse(data) as AuditDiskState);
          arrived.emit("event");
        }
      }
    }
  })();
  return {
    seen,
    /** Resolves once `n` events have arrived. */
    count: async (n) => {
      while (seen.length < n) await once(arrived, "event");
      return seen;
    },
    close: () => abort.abort(),
  };
}

describe("the audit log's disk warning", () => {
  it("turns on past 80 % of a 256 KiB bound, then says calls are refused once they are", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ audit: { maxMB: 0.25 } }));
    warden = await startWarden({ policy: ALLOW, servers: { raw: rawServer }, dataDir });
    const w = warden;
    const events = await auditDiskEvents(w);
    const client = await w.client("raw");
    const pad = "x".repeat(8 * KIB);

    const before = (await w.api("getState")).auditDisk;
    expect(before).toMatchObject({ limit: 256 * KIB });
    expect(before.warning).toBeUndefined();
    // Each forwarded call keeps its whole arguments in the log: about 8 KiB a call.
    let state = before;
    for (let i = 0; state.warning === undefined && i < 40; i++) {
      expect((await callTool(client, "echo", { i, pad })).isError, `call ${i}`).toBeFalsy();
      state = (await w.api("getState")).auditDisk;
      if (state.warning === undefined) expect(state.bytes).toBeLessThan(0.8 * state.limit);
    }
    expect(state.warning).toBe("near-bound");
    expect(state.bytes).toBeGreaterThanOrEqual(0.8 * state.limit);
    expect(state.message).toMatch(
      /^The audit log uses .* of its 256\.0 KiB bound \(\d+ %\): at the bound new calls are refused/,
    );

    let refused = false;
    for (let i = 0; !refused && i < 40; i++)
      refused = (await callTool(client, "echo", { i, pad })).isError === true;
    expect(refused).toBe(true);
    state = (await w.api("getState")).auditDisk;
    expect(state.warning).toBe("full");
    expect(state.message).toContain("new calls are refused until you move old audit files");

    // The UI heard each change as it happened, in order.
    expect((await events.count(2)).map((e) => e.warning)).toEqual(["near-bound", "full"]);
    events.close();
  });

  it.runIf(canMount)(
    "turns on when the log's disk has less free space than the threshold, off when room is made",
    async () => {
      const disk = mountTmpfs("4m") as string;
      mounted = disk;
      const dataDir = join(disk, "data");
      mkdirSync(dataDir, { mode: 0o700 });
      writeFileSync(join(dataDir, "settings.json"), JSON.stringify({ audit: { minFreeMB: 2 } }));
      warden = await startWarden({ policy: ALLOW, servers: { raw: rawServer }, dataDir });
      const w = warden;
      const events = await auditDiskEvents(w);
      const client = await w.client("raw");

      const before = (await w.api("getState")).auditDisk;
      expect(before.warning).toBeUndefined();
      expect(before.freeBytes).toBeGreaterThan(2 * MIB);

      // Something else fills the disk: the log itself is far from its own bound.
      const ballast = join(disk, "ballast");
      writeFileSync(ballast, Buffer.alloc(2.5 * MIB));
      expect((await callTool(client, "echo")).isError).toBeFalsy();
      const low = (await w.api("getState")).auditDisk;
      expect(low.warning).toBe("low-disk");
      expect(low.freeBytes).toBeLessThan(2 * MIB);
      expect(low.bytes).toBeLessThan(0.8 * low.limit);
      expect(low.message).toMatch(
        /^The audit log's disk has .* free, less than 2\.0 MiB: when it fills up, new calls are refused/,
      );

      rmSync(ballast);
      expect((await w.api("getState")).auditDisk.warning).toBeUndefined();
      expect((await events.count(2)).map((e) => e.warning)).toEqual(["low-disk", undefined]);
      events.close();
    },
  );
});
