/** The rate limiter: sliding windows, reservations given back, counts restored from the log, pruning. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../main/core/policy/limits.js";

const DAY = 86_400_000;
const MINUTE = 60_000;
const KEY = "stop_vm_rate\u0000grant:alice";

function limiterWith(times: readonly number[], key = KEY): RateLimiter {
  const limiter = new RateLimiter();
  for (const at of times) limiter.reserve([key], at);
  return limiter;
}

describe("sliding-window counting", () => {
  const limiter = limiterWith([0, 1_000, 2_000]);

  it.each([
    { now: 2_000, count: 3 },
    { now: 59_999, count: 3 },
    { now: 60_000, count: 2 },
    { now: 60_999, count: 2 },
    { now: 61_000, count: 1 },
    { now: 62_000, count: 0 },
  ])("at $now ms, $count of the calls at 0, 1 s and 2 s are in the last minute", ({ now, count }) => {
    expect(limiter.count(KEY, MINUTE, now)).toBe(count);
  });

  it("counts each key on its own", () => {
    const l = limiterWith([0, 1_000]);
    l.reserve(["other"], 1_000);
    expect(l.count(KEY, MINUTE, 1_000)).toBe(2);
    expect(l.count("other", MINUTE, 1_000)).toBe(1);
    expect(l.count("never", MINUTE, 1_000)).toBe(0);
  });

  it("one reservation counts under every key it names", () => {
    const l = new RateLimiter();
    const r = l.reserve(["a", "b"], 5_000);
    expect(r).toEqual({ keys: ["a", "b"], at: 5_000 });
    expect(l.count("a", MINUTE, 5_000)).toBe(1);
    expect(l.count("b", MINUTE, 5_000)).toBe(1);
  });

  it("the same log answers for windows of different lengths", () => {
    const l = limiterWith([0, 30_000, 50_000]);
    expect(l.count(KEY, 1_000, 50_000)).toBe(1);
    expect(l.count(KEY, 30_000, 50_000)).toBe(2);
    expect(l.count(KEY, MINUTE, 50_000)).toBe(3);
  });
});

describe("waitFor", () => {
  it.each([
    { name: "a key never used", times: [], max: 1, now: 0, wait: 0 },
    { name: "a window below max", times: [0, 1_000], max: 3, now: 2_000, wait: 0 },
    {
      name: "a full window: until the oldest call in it leaves",
      times: [0, 1_000, 2_000],
      max: 3,
      now: 5_000,
      wait: 55_000,
    },
    {
      name: "a full window whose oldest calls already left",
      times: [0, 30_000, 40_000, 50_000],
      max: 3,
      now: 65_000,
      wait: 25_000,
    },
    {
      name: "an over-full window: until enough calls leave to get below max",
      times: [0, 1_000, 2_000, 3_000],
      max: 2,
      now: 5_000,
      wait: 57_000,
    },
    { name: "one millisecond before the oldest call leaves", times: [0, 10], max: 2, now: 59_999, wait: 1 },
    { name: "the moment the oldest call leaves", times: [0, 10], max: 2, now: 60_000, wait: 0 },
  ])("$name → $wait ms", ({ times, max, now, wait }) => {
    expect(limiterWith(times).waitFor(KEY, MINUTE, max, now)).toBe(wait);
  });

  it.each([
    { name: "with no calls", times: [] },
    { name: "with calls long gone", times: [0] },
    { name: "with calls in the window", times: [100_000] },
  ])("max 0 always waits a whole window ($name)", ({ times }) => {
    expect(limiterWith(times).waitFor(KEY, MINUTE, 0, 200_000)).toBe(MINUTE);
  });

  it("admits exactly max calls in a window when each is reserved after it is admitted", () => {
    const l = new RateLimiter();
    const admitted: number[] = [];
    for (let now = 0; now < MINUTE; now += 1_000) {
      if (l.waitFor(KEY, MINUTE, 10, now) === 0) {
        l.reserve([KEY], now);
        admitted.push(now);
      }
    }
    expect(admitted).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000]);
    expect(l.waitFor(KEY, MINUTE, 10, 59_000)).toBe(1_000);
  });
});

describe("release", () => {
  it("gives a reservation's slots back under every key", () => {
    const l = new RateLimiter();
    l.reserve(["a", "b"], 1_000);
    const r = l.reserve(["a", "b"], 2_000);
    l.release(r);
    expect(l.count("a", MINUTE, 2_000)).toBe(1);
    expect(l.count("b", MINUTE, 2_000)).toBe(1);
    expect(l.waitFor("a", MINUTE, 2, 2_000)).toBe(0);
  });

  it("gives back only its own call, not another at a different time", () => {
    const l = new RateLimiter();
    const first = l.reserve([KEY], 1_000);
    l.reserve([KEY], 2_000);
    l.release(first);
    expect(l.count(KEY, MINUTE, 2_000)).toBe(1);
    expect(l.waitFor(KEY, MINUTE, 1, 2_000)).toBe(60_000);
  });

  it("gives back one slot when two calls were reserved in the same millisecond", () => {
    const l = new RateLimiter();
    const r = l.reserve([KEY], 1_000);
    l.reserve([KEY], 1_000);
    l.release(r);
    expect(l.count(KEY, MINUTE, 1_000)).toBe(1);
  });

  it("is harmless for a key with no history", () => {
    const l = new RateLimiter();
    l.reserve(["a"], 1_000);
    l.release({ keys: ["nothing-here"], at: 1_000 });
    l.release({ keys: ["a"], at: 999 });
    expect(l.count("a", MINUTE, 1_000)).toBe(1);
  });
});

describe("restore", () => {
  it("keeps counts and waits right when calls are restored out of order", () => {
    const l = new RateLimiter();
    l.restore([KEY], 3_000);
    l.restore([KEY], 1_000);
    l.restore([KEY], 2_000);
    expect(l.count(KEY, MINUTE, 61_500)).toBe(2);
    expect(l.count(KEY, MINUTE, 62_500)).toBe(1);
    expect(l.waitFor(KEY, MINUTE, 3, 3_000)).toBe(58_000);
  });

  it("interleaves restored calls with calls reserved since", () => {
    const l = new RateLimiter();
    l.reserve([KEY], 10_000);
    l.restore([KEY], 5_000);
    l.reserve([KEY], 20_000);
    expect(l.count(KEY, MINUTE, 65_000)).toBe(2);
    expect(l.count(KEY, MINUTE, 70_000)).toBe(1);
  });

  it("a restored call can be released by a reservation with its time", () => {
    const l = new RateLimiter();
    l.restore([KEY, "b"], 4_000);
    l.release({ keys: [KEY, "b"], at: 4_000 });
    expect(l.count(KEY, MINUTE, 4_000)).toBe(0);
    expect(l.count("b", MINUTE, 4_000)).toBe(0);
  });
});

describe("retention", () => {
  it("pruning on a new call never drops calls still inside the retained window", () => {
    const l = new RateLimiter();
    l.setRetention(MINUTE);
    for (const at of [0, 30_000, 59_999]) l.reserve([KEY], at);
    l.reserve([KEY], 60_000);
    expect(l.count(KEY, MINUTE, 60_000)).toBe(3);
    expect(l.waitFor(KEY, MINUTE, 3, 60_000)).toBe(30_000);
  });

  it("history older than the retention is dropped", () => {
    const l = new RateLimiter();
    l.setRetention(2 * DAY);
    for (const at of [0, DAY, 2 * DAY - 1, 2 * DAY]) l.reserve([KEY], at);
    expect(l.count(KEY, 4 * DAY, 2 * DAY)).toBe(3);
  });

  it("keeps a day of history however short the retention asked for", () => {
    const l = new RateLimiter();
    l.setRetention(MINUTE);
    for (const at of [0, 30_000, DAY - 1, DAY]) l.reserve([KEY], at);
    expect(l.count(KEY, 2 * DAY, DAY)).toBe(3);
  });

  it("keeps a day of history before any retention is set", () => {
    const l = new RateLimiter();
    l.reserve([KEY], 0);
    l.reserve([KEY], 86_399_999);
    expect(l.count(KEY, 86_400_000, 86_399_999)).toBe(2);
  });

  it("an old call restored out of order does not prune newer ones", () => {
    const l = new RateLimiter();
    l.setRetention(MINUTE);
    l.restore([KEY], 100_000);
    l.restore([KEY], 70_000);
    l.restore([KEY], 1_000);
    expect(l.count(KEY, MINUTE, 100_000)).toBe(2);
  });

  it("counts match a plain list of call times for any order of reserves and restores", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 120_000 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 300_000 }), restored: fc.boolean() }), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 200_000 }),
        (windowMs, calls, after) => {
          const l = new RateLimiter();
          l.setRetention(windowMs);
          for (const c of calls) {
            if (c.restored) l.restore([KEY], c.at);
            else l.reserve([KEY], c.at);
          }
          const now = Math.max(0, ...calls.map((c) => c.at)) + after;
          const expected = calls.filter((c) => c.at > now - windowMs).length;
          expect(l.count(KEY, windowMs, now)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
