// Builds the headless entry points (the CLI and the demo upstream) into dist/ with esbuild.
// Dependencies stay external: dist/ runs against the installed node_modules.
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { cli: "main/cli.ts", "demo/virtualization-server": "main/demo/virtualization-server.ts" },
  outdir: "dist",
  banner: { js: "#!/usr/bin/env node" },
});
chmodSync("dist/cli.js", 0o755);
