// After `npm install`: Electron is an optional dependency, so where its binary could not be downloaded npm
// leaves the package out without a word. Say so once, and what `npm start` will do about it.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let dir;
try {
  dir = dirname(createRequire(import.meta.url).resolve("electron/package.json"));
} catch {
  console.log(
    "mcp-warden: Electron could not be installed (its binary download failed), so npm start runs MCP Warden " +
      "headless. For the tray app, run npm install again where github.com is reachable; for the tests, " +
      "ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install.",
  );
  process.exit(0);
}
const pathFile = join(dir, "path.txt");
const binary = existsSync(pathFile) ? join(dir, "dist", readFileSync(pathFile, "utf8").trim()) : "";
if (!binary || !existsSync(binary)) {
  const skipped = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ? " (ELECTRON_SKIP_BINARY_DOWNLOAD is set)" : "";
  console.log(
    `mcp-warden: Electron's binary was not downloaded${skipped}, so npm start runs MCP Warden headless; ` +
      "node node_modules/electron/install.js fetches it.",
  );
}
