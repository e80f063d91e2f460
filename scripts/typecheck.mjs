// Type-checks every TypeScript project in the repo: the Node side (tsconfig.json) and, when present,
// the renderer (renderer/tsconfig.json, DOM + JSX).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

// The tray app's code is checked against Electron's own types. Electron is an optional dependency: where
// its binary could not be downloaded, npm left the whole package out.
if (!existsSync("node_modules/electron/electron.d.ts")) {
  console.error(
    "typecheck: Electron's package is not installed (npm install could not download its binary and left it " +
      "out); the tests need its types, not its binary: run ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install",
  );
  process.exit(1);
}

let failed = false;
for (const project of ["tsconfig.json", "renderer/tsconfig.json"]) {
  if (!existsSync(project)) continue;
  const r = spawnSync("npx", ["tsc", "-p", project, "--noEmit"], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
