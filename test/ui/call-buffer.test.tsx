import { describe, expect, it } from "vitest";
import { CallBuffer } from "../../renderer/src/calls/call-buffer.js";
import { call } from "./fake-api.js";

describe("CallBuffer", () => {
  it("keeps calls newest first and updates a call in place by id", () => {
    const buffer = new CallBuffer();
    const a = call({ id: "a", status: "awaiting-approval", latencyMs: undefined, outcome: undefined });
    const b = call({ id: "b" });
    buffer.upsert(a);
    buffer.upsert(b);
    buffer.upsert({ ...a, status: "approved" });
    buffer.upsert({ ...a, status: "approved", outcome: "ok", latencyMs: 40 });
    expect(buffer.filter(() => true).map((r) => [r.id, r.status, r.outcome])).toEqual([
      ["b", "allowed", "ok"],
      ["a", "approved", "ok"],
    ]);
    expect(buffer.size).toBe(2);
  });

  it("does not let an older snapshot overwrite a call that has got further", () => {
    const buffer = new CallBuffer();
    const done = call({ id: "x", status: "approved", outcome: "ok", latencyMs: 9 });
    buffer.upsert(done);
    buffer.load([{ ...done, status: "awaiting-approval", outcome: undefined, latencyMs: undefined }]);
    expect(buffer.get("x")).toMatchObject({ status: "approved", outcome: "ok" });
  });

  it("loads listCalls results (newest first) in order", () => {
    const buffer = new CallBuffer();
    buffer.load([call({ id: "3", ts: 3 }), call({ id: "2", ts: 2 }), call({ id: "1", ts: 1 })]);
    buffer.upsert(call({ id: "4", ts: 4 }));
    expect([...buffer.newestFirst()].map((r) => r.id)).toEqual(["4", "3", "2", "1"]);
  });

  it("holds at most its capacity, dropping the oldest, and still updates the rest by id", () => {
    const buffer = new CallBuffer(1_000);
    for (let i = 0; i < 2_500; i++) buffer.upsert(call({ id: `c${i}`, ts: i }));
    expect(buffer.size).toBeLessThanOrEqual(1_000);
    expect(buffer.size).toBeGreaterThanOrEqual(900);
    expect(buffer.get("c0")).toBeUndefined();
    expect([...buffer.newestFirst()][0]?.id).toBe("c2499");
    buffer.upsert(call({ id: "c2400", ts: 2400, status: "denied" }));
    expect(buffer.get("c2400")?.status).toBe("denied");
    expect(buffer.filter((r) => r.id === "c2400")).toHaveLength(1);
  });

  it("bumps its version on every change", () => {
    const buffer = new CallBuffer();
    const before = buffer.version;
    buffer.upsert(call());
    expect(buffer.version).toBeGreaterThan(before);
  });
});
