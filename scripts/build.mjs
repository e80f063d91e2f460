// Builds everything with no Electron binary needed:
//   dist/cli.js, dist/demo/  — the headless entry points (esbuild; dependencies bundled in)
//   dist/ui/                 — the React UI (vite), served by `serve` and loaded by the tray app
//   out/main/, out/preload/  — the Electron shell's main process and its sandboxed preload (esbuild)
import { chmodSync, existsSync } from "node:fs";
import { build } from "esbuild";

const node = {
  bundle: true,
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};

// The CLI and the demo server carry their dependencies inside: they start faster (one file to load, not
// hundreds of modules), and the packaged tray app runs them with its own binary as Node
// (ELECTRON_RUN_AS_NODE) from outside the asar archive, where no node_modules are.
await build({
  ...node,
  packages: undefined,
  format: "esm",
  entryPoints: { cli: "main/cli.ts", "demo/virtualization-server": "main/demo/virtualization-server.ts" },
  outdir: "dist",
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
});
chmodSync("dist/cli.js", 0o755);

if (existsSync("renderer/index.html") && !process.argv.includes("--no-ui")) {
  const { build: viteBuild } = await import("vite");
  await viteBuild({ configFile: "renderer/vite.config.ts", logLevel: "warn" });
}

if (existsSync("main/app/main.ts")) {
  await build({ ...node, format: "esm", entryPoints: { index: "main/app/main.ts" }, outdir: "out/main" });
}
if (existsSync("main/app/preload.ts")) {
  // A sandboxed preload must be one CommonJS file: bundle everything it imports.
  await build({
    ...node,
    packages: undefined,
    external: ["electron"],
    format: "cjs",
    entryPoints: { preload: "main/app/preload.ts" },
    outdir: "out/preload",
    outExtension: { ".js": ".cjs" },
  });
}
