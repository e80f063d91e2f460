/**
 * The layering in STYLE: shared/ imports nothing platform-specific; main/core/ may use Node but never
 * electron; only main/app/ imports electron; renderer/ uses only shared/ and the DOM.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/warden.js";

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file imports, re-exports or requires. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers: string[] = [];
  const patterns = [
    /\bfrom\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) if (m[1]) specifiers.push(m[1]);
  return specifiers;
}

function violations(folder: string, forbidden: (specifier: string) => boolean): string[] {
  return sourceFiles(join(repoRoot, folder)).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((s) => `${relative(repoRoot, file)} imports ${s}`),
  );
}

const isElectron = (s: string) => s === "electron" || s.startsWith("electron/");
const isNodeBuiltin = (s: string) =>
  s.startsWith("node:") || ["fs", "path", "os", "child_process", "http", "net", "crypto"].includes(s);

describe("layering", () => {
  it("finds the import statements it checks (the scanner itself works)", () => {
    const found = importsOf(join(repoRoot, "main", "core", "warden.ts"));
    expect(found).toContain("node:fs");
    expect(found).toContain("../../shared/contract.js");
  });

  it("main/core never imports electron", () => {
    expect(violations("main/core", isElectron)).toEqual([]);
  });

  it("the CLI, its commands and the demo server never import electron", () => {
    expect([
      ...violations("main/demo", isElectron),
      ...violations("main/commands", isElectron),
      ...importsOf(join(repoRoot, "main", "cli.ts")).filter(isElectron),
    ]).toEqual([]);
  });

  it("shared/ imports neither electron nor Node built-ins nor main/", () => {
    expect(violations("shared", (s) => isElectron(s) || isNodeBuiltin(s) || s.includes("/main/"))).toEqual(
      [],
    );
  });

  it("renderer/ imports neither electron nor Node built-ins nor main/", () => {
    expect(violations("renderer", (s) => isElectron(s) || isNodeBuiltin(s) || s.includes("/main/"))).toEqual(
      [],
    );
  });
});
