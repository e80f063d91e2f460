import { describe, expect, it } from "vitest";
import { HEAP_FLAGS, tuneHeap } from "../../main/core/heap.js";

describe("tuneHeap", () => {
  it("sets the core's heap flags on a process launched without them", () => {
    const applied: string[] = [];
    expect(tuneHeap(["--enable-source-maps", ""], (flag) => applied.push(flag))).toEqual([...HEAP_FLAGS]);
    expect(applied).toEqual(["--heap-growing-percent=50"]);
  });

  it("leaves a flag the user gave at launch as it is, written with dashes or underscores", () => {
    for (const launch of [["--heap-growing-percent=10"], ["--heap_growing_percent=200"]]) {
      const applied: string[] = [];
      expect(tuneHeap(launch, (flag) => applied.push(flag))).toEqual([]);
      expect(applied).toEqual([]);
    }
  });
});
