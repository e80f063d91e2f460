/**
 * An approval "for N minutes" covers the same client's same call: the same arguments whatever the order
 * of their keys, at any depth; a call with any other value waits for a human again.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { PendingApproval as Pending } from "../../shared/contract.js";
import { type HeldCall, type HeldUpstream, heldUpstream } from "../helpers/held-upstream.js";
import { callTool, type RunningWarden, startWarden, textOf, waitFor } from "../helpers/warden.js";

const APPROVE_HOLD = JSON.stringify({
  version: "1",
  default: "deny",
  tools: { hold: { action: "approve", approval: { timeout: "2m" } } },
});

let warden: RunningWarden | undefined;
let upstream: HeldUpstream | undefined;
afterEach(async () => {
  await warden?.stop();
  await upstream?.close();
  warden = undefined;
  upstream = undefined;
});

/** What happens to a call first: it reaches the server as its `n`th call, or it waits for a human. */
async function firstOf(
  w: RunningWarden,
  up: HeldUpstream,
  n: number,
  call: Promise<CallToolResult>,
): Promise<{ arrived: HeldCall } | { pending: Pending }> {
  let pending: Pending | undefined;
  const asked = waitFor(
    async () => {
      [pending] = await w.api("listApprovals");
      return pending !== undefined;
    },
    20_000,
    "an approval",
  ).then(() => ({ pending: pending as Pending }));
  const refused = call.then((result) => {
    throw new Error(`answered before reaching the server or a human: ${textOf(result)}`);
  });
  refused.catch(() => {});
  return Promise.race([up.call(n).then((arrived) => ({ arrived })), asked, refused]);
}

describe("a standing approval", () => {
  it("covers the same call with its keys in another order, nested ones too, and no call with another value", async () => {
    upstream = await heldUpstream();
    warden = await startWarden({ policy: APPROVE_HOLD, servers: { held: upstream.entry } });
    const w = warden;
    const up = upstream;
    const client = await w.client("held");
    const args = { a: 1, b: { x: "one", y: [1, { p: true, q: null }], z: { deep: "d", er: 2 } }, c: "three" };

    const first = callTool(client, "hold", args);
    const asked = await firstOf(w, up, 0, first);
    if (!("pending" in asked)) throw new Error("the first call reached the server without an approval");
    expect(
      await w.api("approve", { id: asked.pending.id, callHash: asked.pending.callHash, forMinutes: 5 }),
    ).toEqual({
      ok: true,
    });
    (await up.call(0)).release();
    expect((await first).isError).toBeFalsy();

    const reordered = [
      { c: "three", a: 1, b: { z: { er: 2, deep: "d" }, y: [1, { q: null, p: true }], x: "one" } },
      { b: { y: [1, { p: true, q: null }], x: "one", z: { deep: "d", er: 2 } }, c: "three", a: 1 },
    ];
    for (const [i, same] of reordered.entries()) {
      const call = callTool(client, "hold", same);
      const seen = await firstOf(w, up, i + 1, call);
      expect(seen, JSON.stringify(same)).toHaveProperty("arrived");
      if ("arrived" in seen) {
        expect(seen.arrived.args).toEqual(args);
        seen.arrived.release();
      }
      expect((await call).isError).toBeFalsy();
    }

    const others = [
      { ...args, a: 2 },
      { ...args, b: { ...args.b, z: { deep: "d", er: 3 } } },
      { ...args, b: { ...args.b, y: [{ p: true, q: null }, 1] } },
      { ...args, d: "more" },
    ];
    for (const other of others) {
      const call = callTool(client, "hold", other);
      const seen = await firstOf(w, up, 3, call);
      expect(seen, JSON.stringify(other)).toHaveProperty("pending");
      if ("pending" in seen) {
        expect(seen.pending.args).toEqual(other);
        await w.api("deny", { id: seen.pending.id });
      }
      expect(textOf(await call)).toContain("a human denied this call");
    }
    expect(up.arrived()).toBe(3);
  });
});
