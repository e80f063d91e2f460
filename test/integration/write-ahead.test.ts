/**
 * Write-ahead audit: a call's decision is on disk before the call is forwarded, so a warden killed while the
 * server holds the call leaves that call's decision in the audit log.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HeldUpstream, heldUpstream } from "../helpers/held-upstream.js";
import { callTool, type RunningWarden, startWarden } from "../helpers/warden.js";

let warden: RunningWarden | undefined;
let upstream: HeldUpstream | undefined;
afterEach(async () => {
  await warden?.stop();
  await upstream?.close();
  warden = undefined;
  upstream = undefined;
});

interface AuditLine {
  t: string;
  id: string;
  tool?: string;
  args?: Record<string, unknown>;
  status?: string;
}

describe("kill -9 while the server holds a call", () => {
  it("leaves the call's decision on disk, and no outcome for it", async () => {
    upstream = await heldUpstream();
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "deny", tools: { hold: { action: "allow" } } }),
      servers: { held: upstream.entry },
    });
    const w = warden;
    const client = await w.client("held");
    const call = callTool(client, "hold", { marker: "at-the-server" });
    call.catch(() => {});

    const held = await upstream.call(0);
    expect(held.args).toEqual({ marker: "at-the-server" });
    await w.stop("SIGKILL");

    const lines = readFileSync(join(w.dataDir, "audit.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine);
    const decisions = lines.filter((l) => l.t === "decision" && l.tool === "hold");
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ args: { marker: "at-the-server" }, status: "allowed" });
    expect(lines.filter((l) => l.t === "outcome" && l.id === decisions[0]?.id)).toEqual([]);
  });
});
