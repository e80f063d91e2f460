/** Shared settings for property-based tests: a fixed seed in CI, more runs under `npm run fuzz`. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Runs per property: small in `npm test`, large under `npm run fuzz` (FUZZ_RUNS). */
export function runs(inTests: number): number {
  return Number(process.env.FUZZ_RUNS ?? inTests);
}
