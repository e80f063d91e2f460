/** Client grants: matched by token, made and revoked on the file as it is, reloaded from other processes. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Grants } from "../../main/core/clients/grants.js";
import type { GrantInfo } from "../../shared/contract.js";
import { tempDir } from "../helpers/warden.js";

function tokensFile(grants: Record<string, string>): string {
  const path = join(tempDir(), "tokens.json");
  writeFileSync(path, JSON.stringify({ admin: "admin-token", grants }));
  return path;
}

describe("grants", () => {
  it("match a bearer token to its grant, and nothing else", () => {
    const grants = new Grants(undefined, { cursor: "c-token" }, { cli: "cli-token" });
    expect(grants.match("Bearer c-token")).toBe("cursor");
    expect(grants.match("bearer cli-token")).toBe("cli");
    expect(grants.match("Bearer c-token-but-longer")).toBeUndefined();
    expect(grants.match("c-token")).toBeUndefined();
    expect(grants.match(undefined)).toBeUndefined();
  });

  it("create and revoke edit tokens.json as it is on disk, keeping what another process added", () => {
    const path = tokensFile({ default: "d" });
    const grants = new Grants(path, { default: "d" });
    const file = JSON.parse(readFileSync(path, "utf8"));
    file.grants.cursor = "written-by-wrap";
    writeFileSync(path, JSON.stringify(file));

    const made = grants.create("vscode");
    expect(made.ok).toBe(true);
    const after = JSON.parse(readFileSync(path, "utf8"));
    expect(after.admin).toBe("admin-token");
    expect(Object.keys(after.grants).sort()).toEqual(["cursor", "default", "vscode"]);
    expect(grants.match("Bearer written-by-wrap")).toBe("cursor");

    expect(grants.revoke("cursor")).toEqual({ ok: true });
    expect(grants.match("Bearer written-by-wrap")).toBeUndefined();
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).grants).sort()).toEqual(["default", "vscode"]);
  });

  it("refuse bad names, names taken, and revoking a command-line grant", () => {
    const grants = new Grants(tokensFile({ default: "d" }), { default: "d" }, { cli: "x" });
    expect(grants.create("no spaces").ok).toBe(false);
    expect(grants.create("default").ok).toBe(false);
    expect(grants.revoke("cli").ok).toBe(false);
    expect(grants.revoke("nobody").ok).toBe(false);
  });

  it("tell a listener every change", () => {
    const seen: GrantInfo[][] = [];
    const grants = new Grants(tokensFile({}), {});
    grants.onChange((list) => seen.push(list));
    grants.create("a");
    grants.revoke("a");
    expect(seen.map((list) => list.map((g) => g.name))).toEqual([["a"], []]);
  });
});
