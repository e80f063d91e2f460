/**
 * What the call ring keeps of large calls is its own: 8 KB of each call's arguments and 64 KB of its
 * result, never the whole message they were cut from (V8 keeps a slice as a view of the whole string).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { repoRoot } from "../helpers/warden.js";

it("200 calls of 1 MB arguments and results leave the heap holding their previews, not their 400 MB", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(repoRoot, "test", "fixtures", "ring-memory.ts")],
    { cwd: repoRoot },
  );
  const heldMb = Number(stdout.trim());
  // The previews: 200 × 8 KB of arguments plus results up to the ring's 16 MB bound.
  expect(heldMb).toBeGreaterThan(0);
  expect(heldMb).toBeLessThan(64);
});
