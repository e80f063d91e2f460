import { describe, expect, it } from "vitest";
import { callsPerMinute } from "../../renderer/src/calls/chart.js";
import { call } from "./fake-api.js";

describe("callsPerMinute", () => {
  const now = Date.UTC(2026, 0, 1, 12, 30, 20);
  const minute = (m: number) => Date.UTC(2026, 0, 1, 12, m, 5);

  it("counts calls per minute by decision, oldest minute first, up to the current minute", () => {
    const newestFirst = [
      call({ ts: minute(30), status: "denied" }),
      call({ ts: minute(30), status: "allowed" }),
      call({ ts: minute(29), status: "rate-limited" }),
      call({ ts: minute(25), status: "awaiting-approval" }),
      call({ ts: minute(10), status: "allowed" }),
    ];
    const buckets = callsPerMinute(newestFirst, now, 10);
    expect(buckets).toHaveLength(10);
    expect(buckets[9]).toMatchObject({
      start: Date.UTC(2026, 0, 1, 12, 30),
      total: 2,
      counts: { bad: 1, ok: 1 },
    });
    expect(buckets[8]).toMatchObject({ total: 1, counts: { warn: 1 } });
    expect(buckets[4]).toMatchObject({ total: 1, counts: { wait: 1 } });
    expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(4);
  });

  it("stops reading at the first call older than the window", () => {
    let read = 0;
    function* calls() {
      for (let i = 0; i < 1_000; i++) {
        read++;
        yield call({ ts: now - i * 60_000 });
      }
    }
    callsPerMinute(calls(), now, 5);
    expect(read).toBeLessThanOrEqual(7);
  });
});
