/**
 * The shell's own layering: only the two entry files (main.ts, preload.ts) import Electron's values —
 * every other module takes Electron's objects as arguments and imports only its types, which is what
 * lets these tests run them without the binary. The preload imports nothing of Node or the core.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/warden.js";

const appDir = join(repoRoot, "main", "app");
const files = readdirSync(appDir).filter((f) => f.endsWith(".ts"));

/** Import statements of a file, with their specifier and whether they import types only. */
function imports(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(join(appDir, file), "utf8");
  return [...text.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+"([^"]+)";/gms)].map((m) => ({
    specifier: m[3] ?? "",
    typeOnly: Boolean(m[1]),
  }));
}

/** Modules that load Electron when imported. */
const ELECTRON_VALUES = new Set(["electron", "electron-store"]);

describe("main/app layering", () => {
  it("finds the imports it checks", () => {
    expect(files).toContain("main.ts");
    expect(imports("main.ts").map((i) => i.specifier)).toContain("electron");
    expect(imports("tray.ts")).toContainEqual({ specifier: "electron", typeOnly: true });
  });

  it("only main.ts and preload.ts import Electron's values", () => {
    const offenders = files.flatMap((file) =>
      imports(file)
        .filter((i) => ELECTRON_VALUES.has(i.specifier) && !i.typeOnly)
        .map(() => file),
    );
    expect([...new Set(offenders)].sort()).toEqual(["main.ts", "preload.ts"]);
  });

  it("the preload reaches only electron, the contract and its own API module", () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      for (const { specifier } of imports(file)) {
        reached.add(specifier);
        if (specifier.startsWith("./")) visit(specifier.slice(2).replace(/\.js$/, ".ts"));
      }
    };
    visit("preload.ts");
    expect([...reached].sort()).toEqual([
      "../../shared/contract.js",
      "../../shared/ipc.js",
      "./preload-api.js",
      "electron",
    ]);
  });
});
