// `npm start`: builds, then opens the tray app when the Electron binary and the app build are present;
// otherwise (for example where Electron's binary could not be downloaded) runs the same core headless.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const buildCode = await run(process.execPath, ["scripts/build.mjs"]);
if (buildCode !== 0) process.exit(buildCode);

function electronBinary() {
  try {
    const pkg = createRequire(import.meta.url).resolve("electron/package.json");
    const pathFile = join(dirname(pkg), "path.txt");
    if (!existsSync(pathFile)) return undefined;
    const binary = join(dirname(pkg), "dist", readFileSync(pathFile, "utf8").trim());
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const args = process.argv.slice(2);
const binary = electronBinary();
if (binary && existsSync("out/main/index.js")) {
  process.exit(await run(binary, [".", ...args]));
}
console.log(
  binary
    ? "The tray app is not built yet; running MCP Warden headless."
    : "Electron's binary is not installed here; running MCP Warden headless (same core, same endpoints).",
);
process.exit(await run(process.execPath, ["dist/cli.js", "serve", ...args]));
