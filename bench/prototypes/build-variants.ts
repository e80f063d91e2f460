/**
 * Builds the committed core (git HEAD) as it is and with each change this folder proposes, into a
 * temporary folder, for an A/B run side by side:
 *
 *   npx tsx bench/prototypes/build-variants.ts [OUT_DIR]
 *   BENCH_WARDEN_CLI=OUT_DIR/base/dist/cli.js npx tsx bench/run.ts --only overhead,startup --compare <printed list>
 *
 * Variants (each builds on the one before where it says "+"):
 *   base     HEAD as it is
 *   denyall  warden.ts keeps Deny-all in memory instead of reading settings.json (conf) twice per call
 *   json     denyall + the SDK transport answers plain JSON when the call asks for no progress (flips a
 *            private SDK field: a measurement, not a fix)
 *   node     denyall + node-transport.ts in place of the SDK's StreamableHTTPServerTransport
 *   bridge   node + connect-bridge.ts (node:http relay) in place of the SDK-based connect bridge
 *   bundled  base with its npm dependencies bundled into dist/cli.js (start-up and idle memory)
 * A patch that no longer applies to the core is reported and its variant skipped.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { repoRoot } from "../lib/paths.js";

type Patch = (dir: string) => void;

/** Replaces `from` with `to` in a file of the copy; throws when `from` is not there. */
function replaceIn(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer contains:\n${from}`);
  writeFileSync(path, text.replace(from, to));
}

const cacheDenyAll: Patch = (dir) => {
  replaceIn(
    dir,
    "main/core/warden.ts",
    `  get denyAll(): boolean {
    return this.#options.settings.get("denyAll") === true;
  }`,
    `  #denyAllCache: boolean | undefined;
  get denyAll(): boolean {
    this.#denyAllCache ??= this.#options.settings.get("denyAll") === true;
    return this.#denyAllCache;
  }`,
  );
  replaceIn(
    dir,
    "main/core/warden.ts",
    `      this.#options.settings.set("denyAll", on);`,
    `      this.#options.settings.set("denyAll", on);
      this.#denyAllCache = on;`,
  );
};

const jsonUnlessProgress: Patch = (dir) =>
  replaceIn(
    dir,
    "main/core/http-server.ts",
    "      return session.transport.handleRequest(req, res, body);",
    `      const wantsStream = (Array.isArray(body) ? body : [body]).some(
        (m) => (m as { params?: { _meta?: { progressToken?: unknown } } })?.params?._meta?.progressToken !== undefined,
      );
      (session.transport as unknown as { _webStandardTransport: { _enableJsonResponse: boolean } })._webStandardTransport._enableJsonResponse = !wantsStream;
      return session.transport.handleRequest(req, res, body);`,
  );

const nodeTransport: Patch = (dir) => {
  copyFileSync(
    join(repoRoot, "bench/prototypes/node-transport.ts"),
    join(dir, "main/core/node-transport.ts"),
  );
  replaceIn(
    dir,
    "main/core/http-server.ts",
    'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
    'import { NodeStreamableHttpTransport as StreamableHTTPServerTransport } from "./node-transport.js";',
  );
};

const rawBridge: Patch = (dir) =>
  copyFileSync(
    join(repoRoot, "bench/prototypes/connect-bridge.ts"),
    join(dir, "main/core/connect-bridge.ts"),
  );

const VARIANTS: { name: string; patches: Patch[]; bundleDependencies?: boolean }[] = [
  { name: "base", patches: [] },
  { name: "denyall", patches: [cacheDenyAll] },
  { name: "json", patches: [cacheDenyAll, jsonUnlessProgress] },
  { name: "node", patches: [cacheDenyAll, nodeTransport] },
  { name: "bridge", patches: [cacheDenyAll, nodeTransport, rawBridge] },
  { name: "bundled", patches: [], bundleDependencies: true },
];

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), "mcp-warden-variants-"));
mkdirSync(out, { recursive: true });
const source = join(out, "head");
mkdirSync(source, { recursive: true });
execFileSync("sh", ["-c", `git archive HEAD main shared package.json | tar -x -C "${source}"`], {
  cwd: repoRoot,
});
const built: string[] = [];
for (const variant of VARIANTS) {
  const dir = join(out, variant.name);
  cpSync(source, dir, { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  try {
    for (const patch of variant.patches) patch(dir);
  } catch (error) {
    process.stderr.write(`${variant.name}: skipped, ${(error as Error).message}\n`);
    continue;
  }
  await build({
    entryPoints: { cli: join(dir, "main/cli.ts") },
    outdir: join(dir, "dist"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: true,
    logLevel: "warning",
    ...(variant.bundleDependencies
      ? {
          // Bundled CommonJS dependencies call require(): give the ES module one.
          banner: {
            js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
          },
        }
      : { packages: "external" as const, banner: { js: "#!/usr/bin/env node" } }),
  });
  chmodSync(join(dir, "dist/cli.js"), 0o755);
  cpSync(join(repoRoot, "dist/demo"), join(dir, "dist/demo"), { recursive: true });
  built.push(join(dir, "dist/cli.js"));
}
const [base, ...others] = built;
process.stdout.write(
  `built in ${out}\nBENCH_WARDEN_CLI=${base} npx tsx bench/run.ts --only overhead,startup --compare ${others.join(",")}\n`,
);
