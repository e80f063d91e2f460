// `npm start`: builds, then opens the tray app when Electron's binary, a display and the app build are
// there; otherwise runs the same core headless (`mcp-warden serve`), saying in one line why and what to do.
//
// Electron is an optional dependency: where its binary cannot be downloaded, its install script fails and
// npm leaves the package out instead of failing the whole `npm install`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { sandboxProblem } from "./linux-sandbox.mjs";

const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const buildCode = await run(process.execPath, ["scripts/build.mjs"]);
if (buildCode !== 0) process.exit(buildCode);

/** Why the tray app cannot start here, or undefined when it can (then `binary` is set). */
function electron() {
  let pkg;
  try {
    pkg = createRequire(import.meta.url).resolve("electron/package.json");
  } catch {
    return {
      why:
        "Electron is not installed (npm install could not download its binary and left it out); running " +
        "MCP Warden headless. For the tray app, run npm install again where github.com is reachable.",
    };
  }
  const dir = dirname(pkg);
  const pathFile = join(dir, "path.txt");
  const binary = existsSync(pathFile) ? join(dir, "dist", readFileSync(pathFile, "utf8").trim()) : "";
  if (!binary || !existsSync(binary)) {
    return {
      why:
        "Electron's binary is not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD?); running MCP Warden headless. " +
        "For the tray app, run node node_modules/electron/install.js where github.com is reachable.",
    };
  }
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: "No display here (DISPLAY and WAYLAND_DISPLAY are unset); running MCP Warden headless." };
  }
  const sandbox = sandboxProblem({ platform: process.platform, binary: realpathSync(binary) });
  if (sandbox) return { why: sandbox };
  if (!existsSync("out/main/index.js"))
    return { why: "The tray app is not built (out/main/index.js is missing); running MCP Warden headless." };
  return { binary };
}

const args = process.argv.slice(2);
const found = electron();
if (found.binary) process.exit(await run(found.binary, [".", ...args]));
console.log(found.why);
process.exit(await run(process.execPath, ["dist/cli.js", "serve", ...args]));
