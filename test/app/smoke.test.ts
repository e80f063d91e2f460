/**
 * Smoke test of the real tray app: where Electron's binary is installed, build the shell, start it under
 * Xvfb on a temporary data folder, check that the core it runs answers the control API, then stop it and
 * check it quit cleanly. Where the binary is missing (ELECTRON_SKIP_BINARY_DOWNLOAD, as in CI), the test
 * is skipped and its name says so.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/warden.js";
import { tempFolder, until } from "./fakes.js";

function electronBinary(): string | undefined {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve("electron/package.json"));
    const pathFile = join(dir, "path.txt");
    if (!existsSync(pathFile)) return undefined;
    const binary = join(dir, "dist", readFileSync(pathFile, "utf8").trim());
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
const xvfb = process.platform !== "linux" || spawnSync("sh", ["-c", "command -v Xvfb"]).status === 0;
const skipped = !binary
  ? "SKIPPED: Electron's binary is not installed here (node_modules/electron/path.txt is missing)"
  : !xvfb
    ? "SKIPPED: Xvfb is not installed"
    : undefined;

if (skipped) console.info(`test/app/smoke.test.ts: the real tray app was not started — ${skipped}`);

describe.skipIf(skipped !== undefined)(
  `smoke: the real tray app${skipped ? ` — ${skipped}` : " under Xvfb"}`,
  () => {
    const folder = tempFolder("warden-smoke-");
    const children: ChildProcess[] = [];
    afterAll(() => {
      for (const child of children.reverse()) if (child.exitCode === null) child.kill("SIGKILL");
      folder.remove();
    });

    it("starts the core in-process, answers the control API, and quits cleanly", async () => {
      // Build only the shell (out/), as scripts/build.mjs does; dist/ is left alone for the other tests.
      const node = {
        bundle: true,
        platform: "node",
        target: "node20",
        sourcemap: true,
        logLevel: "warning",
      } as const;
      await build({
        ...node,
        packages: "external",
        format: "esm",
        entryPoints: { index: join(repoRoot, "main", "app", "main.ts") },
        outdir: join(repoRoot, "out", "main"),
      });
      await build({
        ...node,
        external: ["electron"],
        format: "cjs",
        entryPoints: { preload: join(repoRoot, "main", "app", "preload.ts") },
        outdir: join(repoRoot, "out", "preload"),
        outExtension: { ".js": ".cjs" },
      });

      const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_ENABLE_LOGGING: "1" };
      if (process.platform === "linux") {
        const server = spawn("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1024x768x24"], {
          stdio: ["ignore", "ignore", "ignore", "pipe"],
        });
        children.push(server);
        env.DISPLAY = await new Promise<string>((resolve, reject) => {
          server.stdio[3]?.on("data", (chunk: Buffer) => resolve(`:${chunk.toString().trim()}`));
          server.on("exit", (code) => reject(new Error(`Xvfb exited with ${code}`)));
        });
      }
      const dataDir = join(folder.dir, "data");
      // Chromium refuses to run as root with its sandbox on; CI containers run as root.
      const rootFlags = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
      let output = "";
      const app = spawn(binary as string, [repoRoot, "--data-dir", dataDir, "--port", "0", ...rootFlags], {
        cwd: repoRoot,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(app);
      app.stdout?.on("data", (c: Buffer) => (output += c.toString()));
      app.stderr?.on("data", (c: Buffer) => (output += c.toString()));

      const runtimeFile = join(dataDir, "runtime.json");
      await until(
        () => existsSync(runtimeFile) || app.exitCode !== null,
        30_000,
        "the app to start its core",
      );
      expect(app.exitCode, output).toBeNull();
      const { url, pid } = JSON.parse(readFileSync(runtimeFile, "utf8")) as { url: string; pid: number };
      expect(pid).toBeGreaterThan(0);
      const { admin } = JSON.parse(readFileSync(join(dataDir, "tokens.json"), "utf8")) as { admin: string };
      const response = await fetch(`${url}/api/getState`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ denyAll: false, pending: [] });
      // electron-store wrote the same settings.json headless mode uses.
      expect(existsSync(join(dataDir, "settings.json"))).toBe(true);

      const exited = new Promise<number | null>((resolve) => app.on("exit", (code) => resolve(code)));
      app.kill("SIGTERM");
      expect(await exited, output).toBe(0);
      // A clean quit ran runtime.close(): runtime.json is removed.
      expect(existsSync(runtimeFile)).toBe(false);
    });
  },
);
