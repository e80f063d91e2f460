// `npm run fuzz`: the property-based tests with many more runs (FUZZ_RUNS, default 5,000) and a random
// seed unless FUZZ_SEED is set; the seed is printed so a failure can be replayed.
import { spawnSync } from "node:child_process";

const seed = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
const runs = process.env.FUZZ_RUNS ?? "5000";
console.log(`fuzzing with FUZZ_SEED=${seed} FUZZ_RUNS=${runs}`);
const r = spawnSync("npx", ["vitest", "run", "test/fuzz", "--testTimeout", "600000"], {
  stdio: "inherit",
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs },
});
process.exit(r.status ?? 1);
