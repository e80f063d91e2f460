/**
 * The audit on a disk that fills up, for real: the data folder on a tiny tmpfs (mounting needs root; the
 * test says it is skipped otherwise). Calls whose decision no longer fits are refused; the decision cut
 * short is removed, nothing is glued onto it, and after a restart the log and the rate limit know exactly
 * the calls the upstream received.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyAudit } from "../../main/core/audit/verify.js";
import { mountTmpfs, unmount } from "../helpers/tmpfs.js";
import {
  callTool,
  type RunningWarden,
  readState,
  SEED_POLICY,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
} from "../helpers/warden.js";

const probe = mountTmpfs("64k");
if (probe) unmount(probe);
if (!probe)
  process.stdout.write("audit-disk.test.ts: skipped, a tmpfs cannot be mounted here (needs root on Linux)\n");

/** Fills the disk with a ballast file, then gives back `free` bytes of it; returns its descriptor. */
function fillLeaving(dir: string, free: number): { fd: number; size: number } {
  const fd = openSync(join(dir, "ballast"), "w");
  const chunk = Buffer.alloc(4_096, 0x61);
  let size = 0;
  for (;;) {
    try {
      const n = writeSync(fd, chunk);
      size += n;
      if (n < chunk.length) break;
    } catch {
      break;
    }
  }
  ftruncateSync(fd, Math.max(0, size - free));
  return { fd, size: size - free };
}

interface Line {
  t: string;
  id: string;
  tool?: string;
  args?: { vm_name?: string };
  counterKeys?: string[];
  released?: boolean;
}

let mounted: string | undefined;
let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
  if (mounted) unmount(mounted);
  mounted = undefined;
});

describe("the audit log on a full disk", () => {
  it.skipIf(!probe)(
    "a decision that does not fit is refused and removed; after a restart the log and the limit know exactly the forwarded calls",
    async () => {
      mounted = mountTmpfs("256k");
      if (!mounted) throw new Error("tmpfs mount failed");
      const dataDir = join(mounted, "data");
      mkdirSync(dataDir);
      const state = join(tempDir(), "virt.json");
      const servers = { virt: virtualizationServer("testing", state) };
      warden = await startWarden({ policy: SEED_POLICY, dataDir, servers });
      const client = await warden.client("virt");
      expect((await callTool(client, "stop_vm", { vm_name: "first" })).isError).toBeFalsy();

      const ballast = fillLeaving(mounted, 8 * 1_024);
      const pad = "p".repeat(1_500);
      const results = [];
      for (let i = 0; i < 9; i++)
        results.push(await callTool(client, "stop_vm", { vm_name: `vm-${i}`, pad }));
      const forwarded = results.filter((r) => !r.isError).length;
      const refused = results.filter((r) => textOf(r).includes("the audit log cannot be written"));
      expect(forwarded).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(forwarded + refused.length).toBe(9);
      // Once one is refused, every later one is too: the disk is full.
      expect(results.slice(forwarded).every((r) => r.isError)).toBe(true);
      expect(readState(state).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(1 + forwarded);
      // The disk took part of one record (a short write) before it failed: that part was cut off again.
      expect(warden.output()).toMatch(
        /not written whole \([1-9]\d* of \d+ bytes: ENOSPC\); the partial record was removed/,
      );

      await warden.stop();
      warden = undefined;
      ftruncateSync(ballast.fd, 0);
      closeSync(ballast.fd);

      const audit = join(dataDir, "audit.jsonl");
      const text = readFileSync(audit, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
      const released = new Set(lines.filter((l) => l.released).map((l) => l.id));
      const decided = lines.filter((l) => l.t === "decision" && l.tool === "stop_vm" && !released.has(l.id));
      const reached = readState(state).calls.map((c) => c.args.vm_name);
      expect(decided.map((l) => l.args?.vm_name)).toEqual(reached);
      expect((await verifyAudit({ active: audit })).problems).toEqual([]);

      // The seed policy allows 10 stop_vm a minute: the restart counts the ones that went through, no more.
      warden = await startWarden({ servers, dataDir });
      const again = await warden.client("virt");
      const after = [];
      for (let i = 0; i < 11; i++) after.push(await callTool(again, "stop_vm", { vm_name: `r-${i}` }));
      expect(after.filter((r) => !r.isError)).toHaveLength(10 - (1 + forwarded));
      expect(textOf(after.at(-1) ?? { content: [] })).toContain('limit "stop_vm_rate" reached');
    },
  );
});
