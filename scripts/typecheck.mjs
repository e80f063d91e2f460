// Type-checks every TypeScript project in the repo: the Node side (tsconfig.json) and, when present,
// the renderer (renderer/tsconfig.json, DOM + JSX).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

let failed = false;
for (const project of ["tsconfig.json", "renderer/tsconfig.json"]) {
  if (!existsSync(project)) continue;
  const r = spawnSync("npx", ["tsc", "-p", project, "--noEmit"], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
