/**
 * Where things are: the repository and the build under test. Other people rebuild dist/ while a run is
 * going, so the first use copies the build (cli.js, its map, demo/ and ui/) into a temporary folder and
 * every benchmark of the run uses that copy: one run, one build.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The build to measure: dist/cli.js, or `BENCH_WARDEN_CLI` to point the benchmarks at another build. */
const sourceCli = process.env.BENCH_WARDEN_CLI ?? join(repoRoot, "dist", "cli.js");

let snapshot: string | undefined;

/** The run's copy of the CLI under test; throws unless it is built. */
export function builtCli(): string {
  if (snapshot) return snapshot;
  if (!existsSync(sourceCli))
    throw new Error(`${sourceCli} is missing: run npm run build (npm run bench does)`);
  const dir = mkdtempSync(join(tmpdir(), "mcp-warden-bench-build-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const from = dirname(sourceCli);
  const name = basename(sourceCli);
  for (const entry of [name, `${name}.map`, "demo", "ui"]) {
    if (existsSync(join(from, entry))) cpSync(join(from, entry), join(dir, entry), { recursive: true });
  }
  // The bundle keeps its dependencies external and is an ES module: give the copy both.
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  snapshot = join(dir, name);
  return snapshot;
}

/** Which build a run measured: the file's time and the repository's commit. */
export function buildLine(): string {
  let commit = "?";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: repoRoot,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "main", "shared", "renderer"], {
      cwd: repoRoot,
      encoding: "utf8",
    }).trim();
    commit = `${head}${dirty ? " with uncommitted changes in main/, shared/ or renderer/" : ""}`;
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  const built = existsSync(sourceCli) ? statSync(sourceCli).mtime.toISOString() : "not built";
  const tree = sourceCli === join(repoRoot, "dist", "cli.js") ? `; tree at ${commit}` : "";
  return `Build: ${sourceCli} of ${built} (copied for the run)${tree}.`;
}
