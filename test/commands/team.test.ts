/** `mcp-warden team key`: the public key teammates pin, from the key pair the warden signs with. */
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOrCreateKeys, parsePublicKey } from "../../main/core/team/keys.js";
import { cliPath, tempDir } from "../helpers/warden.js";

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mcp-warden team key", () => {
  it("prints the public half of the data folder's team key, making the pair (user-only) on first use", () => {
    const dataDir = join(tempDir(), "fresh");
    const first = run("team", "key", "--data-dir", dataDir);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const printed = first.stdout.trim();
    expect(first.stdout).toBe(`${printed}\n`);
    expect(parsePublicKey(printed)).toBeDefined();

    const pem = join(dataDir, "team-key.pem");
    expect(statSync(pem).mode & 0o777).toBe(0o600);
    const publicKey = createPublicKey(createPrivateKey(readFileSync(pem, "utf8")));
    expect(publicKey.export({ format: "jwk" }).x).toBe(printed);
    // The same key the warden itself loads and signs with, and the same on every run.
    expect(loadOrCreateKeys(dataDir).publicKey).toBe(printed);
    expect(run("team", "key", "--data-dir", dataDir).stdout).toBe(first.stdout);
  });

  it("refuses a data folder others may write, and anything but key", () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o777);
    const open = run("team", "key", "--data-dir", dataDir);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain("the data folder");
    expect(open.stdout).toBe("");
    chmodSync(dataDir, 0o700);
    expect(run("team", "--data-dir", dataDir)).toMatchObject({ code: 2 });
    const other = run("team", "keys", "--data-dir", dataDir);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('team takes key, not "keys"');
  });

  it("--help says what the key is for and where teammates put it", () => {
    const help = run("team", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: mcp-warden team key \[options\]/);
    expect(help.stdout).toContain("team-key.pem");
    expect(help.stdout).toContain('"team": { "members":');
  });
});
