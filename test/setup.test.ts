/**
 * The set-up the README promises: `npm install` goes on where Electron's binary cannot be downloaded, because
 * Electron is an optional dependency (npm drops an optional package whose install script fails), and the
 * packaging config names the same Electron the app is checked against.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/warden.js";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");

describe("set-up", () => {
  it("Electron is an optional dependency only, pinned, and the lock file agrees", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(pkg.optionalDependencies.electron).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies.electron).toBeUndefined();
    expect(pkg.dependencies.electron).toBeUndefined();
    const lock = JSON.parse(read("package-lock.json"));
    expect(lock.packages[""].optionalDependencies.electron).toBe(pkg.optionalDependencies.electron);
    expect(lock.packages["node_modules/electron"]).toMatchObject({
      version: pkg.optionalDependencies.electron,
      optional: true,
    });
  });

  it("electron-builder packages that Electron and leaves the npm package out of the app", () => {
    const pkg = JSON.parse(read("package.json"));
    const config = read("electron-builder.yml");
    expect(config).toMatch(new RegExp(`^electronVersion: ${pkg.optionalDependencies.electron}$`, "m"));
    expect(config).toMatch(/^ {2}- "!node_modules\/\{electron,/m);
    expect(pkg.scripts.electronegativity).toContain(`-e ${pkg.optionalDependencies.electron} `);
  });
});
