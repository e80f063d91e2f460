/**
 * Calls waiting for a human are bounded, per client and in total: past a bound a new one is refused at
 * once, saying why, in the audit log and the call events; another client's calls still reach a human.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MAX_PENDING_APPROVALS,
  MAX_PENDING_APPROVALS_PER_GRANT,
} from "../../main/core/approvals/pending-cap.js";
import { Warden } from "../../main/core/warden.js";
import type { CallRecord } from "../../shared/contract.js";
import { tempDir } from "../helpers/warden.js";

/** No upstream is reached by a refused call: one that got through where it should not would fail here. */
const unreachable = () => Promise.reject(new Error("no upstream in this test"));

async function approvingWarden(): Promise<Warden> {
  const dir = tempDir();
  writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "approve", tools: {} }));
  const store = new Map<string, unknown>();
  return Warden.start({
    policyPath: join(dir, "policy.json"),
    auditPath: join(dir, "audit.jsonl"),
    settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
    servers: { mcpServers: {} },
  });
}

/** Parks `n` calls of `grant` with the broker; they end when the test denies them. */
function park(warden: Warden, grant: string, n: number): Promise<unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    warden
      .handleCall({
        server: "virt",
        tool: "stop_vm",
        args: { i },
        grant,
        session: grant,
        forward: unreachable,
      })
      .catch(() => undefined),
  );
}

describe("pending approvals", () => {
  it(`one client may park at most ${MAX_PENDING_APPROVALS_PER_GRANT}; its next is refused visibly, another client's still reaches a human`, async () => {
    const warden = await approvingWarden();
    try {
      const seen: CallRecord[] = [];
      warden.events.on("call", (record) => seen.push(record));
      const parked = park(warden, "client-a", MAX_PENDING_APPROVALS_PER_GRANT);
      expect(warden.broker.list()).toHaveLength(MAX_PENDING_APPROVALS_PER_GRANT);

      const refused = await warden.handleCall({
        server: "virt",
        tool: "stop_vm",
        args: { i: "one more" },
        grant: "client-a",
        session: "client-a",
        forward: unreachable,
      });
      expect(refused.refused?.isError).toBe(true);
      const why = JSON.stringify(refused.refused?.content);
      expect(why).toContain(`already has ${MAX_PENDING_APPROVALS_PER_GRANT} calls waiting for a human`);
      const logged = warden.log.recent(1)[0];
      expect(logged?.status).toBe("rejected");
      expect(logged?.error).toContain("already has");
      expect(
        seen.some((r) => r.id === logged?.id && r.status === "rejected" && r.error === logged?.error),
      ).toBe(true);

      const fromB = warden.handleCall({
        server: "virt",
        tool: "stop_vm",
        args: { vm: "dev-1" },
        grant: "client-b",
        session: "client-b",
        forward: unreachable,
      });
      const asked = warden.broker.list().find((a) => a.client === "client-b");
      expect(asked).toBeDefined();
      const ends: string[] = [];
      warden.events.on("approvalEnded", (e) => {
        if (e.id === asked?.id) ends.push(e.end);
      });
      expect(warden.broker.approve(asked?.id ?? "").ok).toBe(true);
      expect(ends).toEqual(["approved"]);
      // Approved, it goes on to be forwarded: this test has no upstream, so that is where it stops.
      await expect(fromB).rejects.toThrow('no upstream server named "virt"');

      warden.broker.denyAll();
      await Promise.all(parked);
    } finally {
      await warden.close();
    }
  });

  it(`at most ${MAX_PENDING_APPROVALS} wait in all; the next is refused, saying why`, async () => {
    const warden = await approvingWarden();
    try {
      const clients = MAX_PENDING_APPROVALS / MAX_PENDING_APPROVALS_PER_GRANT;
      const parked = Array.from({ length: clients }, (_, c) =>
        park(warden, `client-${c}`, MAX_PENDING_APPROVALS_PER_GRANT),
      ).flat();
      expect(warden.broker.list()).toHaveLength(MAX_PENDING_APPROVALS);
      const refused = await warden.handleCall({
        server: "virt",
        tool: "stop_vm",
        args: { i: "one more" },
        grant: "another-client",
        session: "s",
        forward: unreachable,
      });
      expect(refused.refused?.isError).toBe(true);
      expect(JSON.stringify(refused.refused?.content)).toContain(
        `${MAX_PENDING_APPROVALS} calls are already waiting for a human`,
      );
      warden.broker.denyAll();
      await Promise.all(parked);
    } finally {
      await warden.close();
    }
  });
});
