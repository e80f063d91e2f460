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

  it("adds a page of older calls at the oldest end, skipping calls it holds", () => {
    const buffer = new CallBuffer();
    buffer.load([call({ id: "5", ts: 5 }), call({ id: "4", ts: 4 })]);
    const version = buffer.version;
    expect(
      buffer.addOlder("4", [call({ id: "3", ts: 3 }), call({ id: "4", ts: 4 }), call({ id: "2", ts: 2 })]),
    ).toBe(2);
    expect(buffer.version).toBeGreaterThan(version);
    expect([...buffer.newestFirst()].map((r) => r.id)).toEqual(["5", "4", "3", "2"]);
    expect(buffer.oldest?.id).toBe("2");
    // Live calls still go on top; older ones are updated in place by id.
    buffer.upsert(call({ id: "6", ts: 6 }));
    buffer.upsert(call({ id: "2", ts: 2, status: "denied" }));
    expect(buffer.filter(() => true).map((r) => r.id)).toEqual(["6", "5", "4", "3", "2"]);
    expect(buffer.get("2")?.status).toBe("denied");
    expect(buffer.dropped).toBe(false);
  });

  it("takes a page only while its cursor is the oldest call held", () => {
    const buffer = new CallBuffer();
    buffer.load([call({ id: "5", ts: 5 }), call({ id: "4", ts: 4 })]);
    expect(buffer.addOlder("5", [call({ id: "3", ts: 3 })])).toBe(0);
    expect(buffer.size).toBe(2);
  });

  it("fills up to its capacity from older pages, then says it let the rest go", () => {
    const buffer = new CallBuffer(10);
    buffer.load(Array.from({ length: 6 }, (_, i) => call({ id: `n${i}`, ts: 100 - i })));
    const page = Array.from({ length: 6 }, (_, i) => call({ id: `o${i}`, ts: 50 - i }));
    expect(buffer.addOlder("n5", page)).toBe(4);
    expect(buffer.size).toBe(10);
    expect(buffer.full).toBe(true);
    expect(buffer.dropped).toBe(true);
    expect(buffer.oldest?.id).toBe("o3");
  });

  it("counts a trim at capacity as letting older calls go", () => {
    const buffer = new CallBuffer(20);
    for (let i = 0; i < 20; i++) buffer.upsert(call({ id: `c${i}`, ts: i }));
    expect(buffer.full).toBe(true);
    expect(buffer.dropped).toBe(false);
    buffer.upsert(call({ id: "c20", ts: 20 }));
    expect(buffer.size).toBe(19);
    expect(buffer.dropped).toBe(true);
    expect(buffer.full).toBe(false);
  });

  it("bumps its version on every change", () => {
    const buffer = new CallBuffer();
    const before = buffer.version;
    buffer.upsert(call());
    expect(buffer.version).toBeGreaterThan(before);
  });
});
