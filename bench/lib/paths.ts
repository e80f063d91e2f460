/** Where things are: the repository, the built CLI. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The built CLI under test. `BENCH_WARDEN_CLI` points the benchmarks at another build of it. */
export const cliPath = process.env.BENCH_WARDEN_CLI ?? join(repoRoot, "dist", "cli.js");

/** Throws unless the CLI is built. */
export function requireBuiltCli(): string {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build (npm run bench does)`);
  return cliPath;
}
