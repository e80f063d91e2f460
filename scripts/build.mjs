// Builds everything with no Electron binary needed:
//   dist/cli.js, dist/demo/  — the headless entry points (esbuild; dependencies bundled in)
//   dist/ui/                 — the React UI (vite), served by `serve` and loaded by the tray app
//   out/main/, out/preload/  — the Electron shell's main process and its sandboxed preload (esbuild)
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

/**
 * Makes a bundle pure ASCII. esbuild escapes every non-ASCII character in code but passes comments
 * through, and one such character anywhere makes V8 keep the whole source as a two-byte string: for the
 * 2 MB CLI, 2 MB more live heap for as long as the process runs (and more heap committed around it). In a
 * comment the character becomes "?" (same length, so the source map still lines up); anywhere else the
 * build stops.
 */
function asciiOnly(file) {
  const lines = readFileSync(file, "utf8").split("\n");
  let changed = false;
  for (const [n, line] of lines.entries()) {
    if (!/[\u0080-\uffff]/.test(line)) continue;
    if (!/^\s*(\/\/|\/\*|\*)/.test(line))
      throw new Error(`${file}:${n + 1}: a non-ASCII character outside a comment line`);
    lines[n] = line.replace(/[\u0080-\uffff]/g, "?");
    changed = true;
  }
  if (changed) writeFileSync(file, lines.join("\n"));
}

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
for (const file of ["dist/cli.js", "dist/demo/virtualization-server.js"]) asciiOnly(file);
chmodSync("dist/cli.js", 0o755);

if (existsSync("renderer/index.html") && !process.argv.includes("--no-ui")) {
  const { build: viteBuild } = await import("vite");
  await viteBuild({ configFile: "renderer/vite.config.ts", logLevel: "warn" });
}

if (existsSync("main/app/main.ts")) {
  await build({ ...node, format: "esm", entryPoints: { index: "main/app/main.ts" }, outdir: "out/main" });
  asciiOnly("out/main/index.js");
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
