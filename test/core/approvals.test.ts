/** The approval broker: every request ends exactly once, approvals are single-use and bound to the call. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApprovalBroker, type ApprovalRequest } from "../../main/core/approvals/broker.js";
import { callHash } from "../../main/core/canonical.js";
import type { ApprovalEnd, PendingApproval } from "../../shared/contract.js";

function request(more: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    callId: "call-1",
    client: "alice",
    server: "virt",
    tool: "stop_vm",
    operation: "stop_vm",
    args: { vm_name: "dev-1", force: false },
    rule: 'tools["stop_vm"]',
    reason: "Stopping a VM takes services offline",
    timeoutMs: 60_000,
    ...more,
  };
}

/** A broker that records its events. */
function recordingBroker(now?: () => number) {
  const broker = new ApprovalBroker(now);
  const added: PendingApproval[] = [];
  const ended: { id: string; end: ApprovalEnd }[] = [];
  broker.on("added", (a) => added.push(a));
  broker.on("ended", ({ approval, end }) => ended.push({ id: approval.id, end }));
  return { broker, added, ended };
}

/** Starts a request and returns its pending entry (the broker adds it synchronously). */
function start(broker: ApprovalBroker, more: Partial<ApprovalRequest> = {}) {
  const settled = broker.request(request(more));
  const pending = broker.list().at(-1);
  if (!pending) throw new Error("the request is not pending");
  return { settled, pending };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a pending approval", () => {
  it("carries the call, a deadline from the timeout and the call's hash", () => {
    const { broker, added } = recordingBroker(() => 1_000);
    const { pending } = start(broker, { timeoutMs: 30_000 });
    expect(pending).toMatchObject({
      callId: "call-1",
      client: "alice",
      server: "virt",
      tool: "stop_vm",
      operation: "stop_vm",
      args: { vm_name: "dev-1", force: false },
      rule: 'tools["stop_vm"]',
      createdAt: 1_000,
      deadline: 31_000,
      callHash: callHash("virt", "stop_vm", { vm_name: "dev-1", force: false }),
    });
    expect(pending.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(added).toEqual([pending]);
    expect(pending).not.toHaveProperty("timeoutMs");
    expect(pending).not.toHaveProperty("signal");
    broker.denyAll();
  });

  it("gets its own id per request, listed oldest first", () => {
    const { broker } = recordingBroker();
    const a = start(broker, { callId: "a" }).pending;
    const b = start(broker, { callId: "b" }).pending;
    expect(a.id).not.toBe(b.id);
    expect(broker.list().map((p) => p.callId)).toEqual(["a", "b"]);
    broker.denyAll();
  });
});

interface EndCase {
  name: string;
  end: ApprovalEnd;
  act: (broker: ApprovalBroker, pending: PendingApproval, controller: AbortController) => void;
}

const END_CASES: EndCase[] = [
  { name: "an approval", end: "approved", act: (b, p) => expect(b.approve(p.id)).toEqual({ ok: true }) },
  {
    name: "an approval of exactly the call shown",
    end: "approved",
    act: (b, p) => expect(b.approve(p.id, p.callHash)).toEqual({ ok: true }),
  },
  { name: "a denial", end: "denied", act: (b, p) => expect(b.deny(p.id)).toEqual({ ok: true }) },
  { name: "deny-all", end: "deny-all", act: (b) => expect(b.denyAll()).toBe(1) },
  { name: "the client cancelling", end: "cancelled", act: (_b, _p, c) => c.abort() },
  { name: "the timeout", end: "timed-out", act: () => vi.advanceTimersByTime(60_000) },
];

describe("how a request ends", () => {
  it.each(END_CASES)("$name ends it as $end, exactly once", async ({ end, act }) => {
    vi.useFakeTimers();
    const { broker, ended } = recordingBroker();
    const controller = new AbortController();
    const { settled, pending } = start(broker, { signal: controller.signal });

    act(broker, pending, controller);
    await expect(settled).resolves.toBe(end);
    expect(ended).toEqual([{ id: pending.id, end }]);
    expect(broker.list()).toEqual([]);

    // Nothing after the end can end it again.
    expect(broker.approve(pending.id).ok).toBe(false);
    expect(broker.deny(pending.id).ok).toBe(false);
    expect(broker.denyAll()).toBe(0);
    controller.abort();
    vi.advanceTimersByTime(120_000);
    expect(ended).toHaveLength(1);
  });

  it("does not time out before its deadline", () => {
    vi.useFakeTimers();
    const { broker, ended } = recordingBroker();
    start(broker, { timeoutMs: 60_000 });
    vi.advanceTimersByTime(59_999);
    expect(ended).toEqual([]);
    expect(broker.list()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ended.map((e) => e.end)).toEqual(["timed-out"]);
  });

  it("times out on a real clock after a short timeout", async () => {
    const { broker, ended } = recordingBroker();
    const started = Date.now();
    const end = await broker.request(request({ timeoutMs: 30 }));
    expect(end).toBe("timed-out");
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(ended.map((e) => e.end)).toEqual(["timed-out"]);
  });

  it("a request whose signal is already aborted is cancelled without being shown", async () => {
    const { broker, added, ended } = recordingBroker();
    const controller = new AbortController();
    controller.abort();
    await expect(broker.request(request({ signal: controller.signal }))).resolves.toBe("cancelled");
    expect(added).toEqual([]);
    expect(ended).toEqual([]);
    expect(broker.list()).toEqual([]);
  });

  it("deny-all ends every pending request and says how many", async () => {
    const { broker, ended } = recordingBroker();
    const one = start(broker, { callId: "a" });
    const two = start(broker, { callId: "b" });
    expect(broker.denyAll()).toBe(2);
    await expect(Promise.all([one.settled, two.settled])).resolves.toEqual(["deny-all", "deny-all"]);
    expect(ended).toEqual([
      { id: one.pending.id, end: "deny-all" },
      { id: two.pending.id, end: "deny-all" },
    ]);
  });

  it("answering one request leaves the others pending", async () => {
    const { broker } = recordingBroker();
    const one = start(broker, { callId: "a" });
    const two = start(broker, { callId: "b" });
    broker.deny(one.pending.id);
    await expect(one.settled).resolves.toBe("denied");
    expect(broker.list().map((p) => p.id)).toEqual([two.pending.id]);
    broker.approve(two.pending.id);
    await expect(two.settled).resolves.toBe("approved");
  });

  it("a listener that throws does not stop the request from ending", async () => {
    const broker = new ApprovalBroker();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      broker.on("ended", () => {
        throw new Error("listener broke");
      });
      const { settled, pending } = start(broker);
      broker.approve(pending.id);
      await expect(settled).resolves.toBe("approved");
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual(["listener for ended threw: listener broke"]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  // A policy may say `"approval": {"timeout": "25d"}` (any duration is valid), but approvals.ts passes the
  // timeout straight to setTimeout, which fires after 1 ms for anything above 2^31-1 ms (~24.8 days), so
  // the request times out at once instead of at its deadline.
  it("a timeout longer than 24.8 days does not end the request early", async () => {
    const { broker, ended } = recordingBroker();
    const { pending } = start(broker, { timeoutMs: 25 * 86_400_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toEqual([]);
    expect(broker.list().map((p) => p.id)).toEqual([pending.id]);
    broker.denyAll();
  });
});

describe("single use and binding to the call", () => {
  it("a second approval of the same id fails", async () => {
    const { broker } = recordingBroker();
    const { settled, pending } = start(broker);
    expect(broker.approve(pending.id)).toEqual({ ok: true });
    expect(broker.approve(pending.id)).toEqual({
      ok: false,
      error: "no pending approval with that id (already answered or expired)",
    });
    await expect(settled).resolves.toBe("approved");
  });

  it("an unknown id can be neither approved nor denied", () => {
    const { broker } = recordingBroker();
    expect(broker.approve("no-such-id").ok).toBe(false);
    expect(broker.deny("no-such-id").ok).toBe(false);
  });

  it("approving with a hash of another call fails and leaves the request pending", async () => {
    const { broker, ended } = recordingBroker();
    const { settled, pending } = start(broker);
    const otherHash = callHash("virt", "stop_vm", { vm_name: "prod-db", force: false });
    expect(broker.approve(pending.id, otherHash)).toEqual({
      ok: false,
      error: "the call does not match the one shown for approval",
    });
    expect(ended).toEqual([]);
    expect(broker.list().map((p) => p.id)).toEqual([pending.id]);
    expect(broker.approve(pending.id, pending.callHash)).toEqual({ ok: true });
    await expect(settled).resolves.toBe("approved");
  });
});

describe("callHash", () => {
  it("is the same for arguments whose keys are in a different order, at every level", () => {
    expect(callHash("virt", "create_vm", { name: "dev-1", config: { cpus: 2, memory_mb: 1024 } })).toBe(
      callHash("virt", "create_vm", { config: { memory_mb: 1024, cpus: 2 }, name: "dev-1" }),
    );
  });

  it.each([
    { name: "another argument value", server: "virt", tool: "stop_vm", args: { vm_name: "dev-2" } },
    { name: "another argument type", server: "virt", tool: "stop_vm", args: { vm_name: 1 } },
    { name: "an extra argument", server: "virt", tool: "stop_vm", args: { vm_name: "dev-1", force: true } },
    { name: "another tool", server: "virt", tool: "start_vm", args: { vm_name: "dev-1" } },
    { name: "another server", server: "lab", tool: "stop_vm", args: { vm_name: "dev-1" } },
    { name: "a server/tool split elsewhere", server: "virt/stop", tool: "_vm", args: { vm_name: "dev-1" } },
  ])("differs for $name", ({ server, tool, args }) => {
    expect(callHash(server, tool, args)).not.toBe(callHash("virt", "stop_vm", { vm_name: "dev-1" }));
  });

  it("keeps the order of array elements", () => {
    expect(callHash("s", "t", { disks: ["a", "b"] })).not.toBe(callHash("s", "t", { disks: ["b", "a"] }));
    expect(callHash("s", "t", { disks: ["a", "b"] })).toBe(callHash("s", "t", { disks: ["a", "b"] }));
  });

  it("treats missing arguments as no arguments, and is a SHA-256 hex digest", () => {
    expect(callHash("s", "t", undefined)).toBe(callHash("s", "t", {}));
    expect(callHash("s", "t", {})).toMatch(/^[0-9a-f]{64}$/);
  });
});
