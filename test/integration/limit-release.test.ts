/**
 * A limit slot is taken when a call is decided, before it waits for a human; a call that is then refused,
 * or never reaches the server, gives its slot back, so the next call is admitted.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type HeldUpstream, heldUpstream } from "../helpers/held-upstream.js";
import { callTool, type RunningWarden, startWarden, textOf, waitFor } from "../helpers/warden.js";

/** `hold` needs a human, and one call an hour at most across every server. */
const ONE_AN_HOUR = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    hold: {
      action: "approve",
      approval: { timeout: "2m" },
      limits: [{ counter: "holds", window: "hour", max: 1, scope: "global" }],
    },
  },
});

let warden: RunningWarden | undefined;
let upstream: HeldUpstream | undefined;
afterEach(async () => {
  await warden?.stop();
  await upstream?.close();
  warden = undefined;
  upstream = undefined;
});

/** The approval `call` waits for; fails at once, with the refusal's text, if the call was refused instead. */
async function approvalOf(w: RunningWarden, call: Promise<CallToolResult>) {
  const refused = call.then((result) => {
    throw new Error(`the call was answered without an approval: ${textOf(result)}`);
  });
  await Promise.race([
    refused,
    waitFor(async () => (await w.api("listApprovals")).length === 1, 10_000, "one pending approval"),
  ]);
  refused.catch(() => {});
  const [pending] = await w.api("listApprovals");
  if (!pending) throw new Error("no pending approval");
  return pending;
}

describe("a limit slot of a call that is never forwarded", () => {
  it("comes back when a human denies the call: with max 1, the next call is admitted and reaches the server", async () => {
    upstream = await heldUpstream();
    warden = await startWarden({ policy: ONE_AN_HOUR, servers: { held: upstream.entry } });
    const w = warden;
    const client = await w.client("held");

    const first = callTool(client, "hold", { n: 1 });
    await w.api("deny", { id: (await approvalOf(w, first)).id });
    expect(textOf(await first)).toContain("a human denied this call");

    const second = callTool(client, "hold", { n: 2 });
    const pending = await approvalOf(w, second);
    expect(pending.args).toEqual({ n: 2 });
    await w.api("approve", { id: pending.id, callHash: pending.callHash });
    const arrived = await upstream.call(0);
    expect(arrived.args).toEqual({ n: 2 });
    arrived.release("second done");
    const result = await second;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe("second done");

    // The slot the second call took is really counted: a third is refused by the limit.
    const third = await callTool(client, "hold", { n: 3 });
    expect(third.isError).toBe(true);
    expect(textOf(third)).toContain("holds");
    expect(upstream.arrived()).toBe(1);
  });

  it("comes back when the server is gone before the approved call could reach it", async () => {
    upstream = await heldUpstream();
    const servers = { gone: upstream.entry, kept: upstream.entry };
    warden = await startWarden({ policy: ONE_AN_HOUR, servers });
    const w = warden;

    const first = callTool(await w.client("gone"), "hold", { n: 1 });
    const waiting = await approvalOf(w, first);
    // The server is stopped while its call waits for a human: the call can never be sent.
    writeFileSync(join(w.dataDir, "servers.json"), JSON.stringify({ mcpServers: { kept: upstream.entry } }));
    await waitFor(
      async () => !(await w.api("listServers")).some((s) => s.name === "gone"),
      10_000,
      "the server to stop",
    );
    await w.api("approve", { id: waiting.id, callHash: waiting.callHash });
    await first.then(
      (result) => expect(result.isError).toBe(true),
      (error: unknown) => expect(error).toBeInstanceOf(Error),
    );

    const second = callTool(await w.client("kept"), "hold", { n: 2 });
    const pending = await approvalOf(w, second);
    expect(pending).toMatchObject({ server: "kept", args: { n: 2 } });
    await w.api("approve", { id: pending.id, callHash: pending.callHash });
    const arrived = await upstream.call(0);
    expect(arrived.args).toEqual({ n: 2 });
    arrived.release();
    expect((await second).isError).toBeFalsy();
    expect(upstream.arrived()).toBe(1);
  });
});
