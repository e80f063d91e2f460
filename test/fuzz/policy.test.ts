/** Policy files mutated at random: every one is either valid or refused with JSON paths; nothing throws. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../main/core/policy/compile.js";
import { decide } from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";
import { FUZZ_SEED, runs } from "./fuzz.js";

const SEED = {
  version: "1",
  default: "deny",
  tools: {
    list_vms: { action: "allow" },
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes services offline",
      args: { type: "object", properties: { vm_name: { pattern: "^(dev|test)-" } } },
      conditions: [{ path: "force", op: "neq", value: true }],
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
      approval: { timeout: "2m" },
    },
    vm_management: [
      { match: { action: "list" }, action: "allow" },
      { action: "deny", reason: "no" },
    ],
  },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Replaces the value at one path of `value` (chosen by `pick`) with `replacement`. */
function mutate(value: Json, pick: number, replacement: Json): Json {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, [...path, i]);
    } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  const target = paths[pick % paths.length] ?? [];
  if (target.length === 0) return replacement;
  const copy = structuredClone(value);
  let parent: Json = copy;
  for (const key of target.slice(0, -1)) parent = (parent as Record<string, Json>)[key as string] as Json;
  (parent as Record<string, Json>)[target[target.length - 1] as string] = replacement;
  return copy;
}

describe("mutated policies", () => {
  it("load or fail with path-named errors, never throw; a loaded one decides without throwing", () => {
    fc.assert(
      fc.property(fc.nat(), fc.jsonValue() as fc.Arbitrary<Json>, fc.string(), (pick, replacement, tool) => {
        const text = JSON.stringify(mutate(SEED as unknown as Json, pick, replacement));
        const result = loadPolicy(text);
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(typeof e.path).toBe("string");
            expect(e.message.length).toBeGreaterThan(0);
          }
          return;
        }
        const d = decide(
          result.policy,
          { server: "virt", tool, args: { vm_name: "dev-web" }, grant: "g", session: "s" },
          { denyAll: false, limits: new RateLimiter(), now: 0 },
        );
        expect(["allow", "deny", "approve"]).toContain(d.verdict);
      }),
      { seed: FUZZ_SEED, numRuns: runs(500) },
    );
  });

  it("text cut or corrupted at random is refused, never thrown", () => {
    const text = JSON.stringify(SEED);
    fc.assert(
      fc.property(fc.nat(text.length), fc.string({ maxLength: 5 }), (at, junk) => {
        const result = loadPolicy(text.slice(0, at) + junk + text.slice(at + 1));
        expect(typeof result.ok).toBe("boolean");
      }),
      { seed: FUZZ_SEED, numRuns: runs(500) },
    );
  });
});
