/** `mcp-warden audit verify`: OK with the record count and exit 0, or each problem with its place and exit 1. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { auditCommand } from "../../main/commands/audit.js";
import { CallLog } from "../../main/core/audit/call-log.js";
import { StartupError } from "../../main/core/runtime.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "warden-cli-audit-"));
  dirs.push(dir);
  const log = new CallLog(join(dir, "audit.jsonl"), 100, { maxFileBytes: 2_048 });
  await log.open(0);
  for (let i = 0; i < 30; i++) {
    log.decision(
      {
        id: `c${i}`,
        ts: Date.now(),
        client: "cli",
        session: "s",
        server: "virt",
        tool: "stop_vm",
        args: { vm_name: `dev-${i}` },
        status: "allowed",
        rule: "r",
        reason: "",
      },
      [],
    );
  }
  log.close();
  await log.settled();
  return dir;
}

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const code = await auditCommand(argv, sink);
  return { code, out };
}

describe("mcp-warden audit verify", () => {
  it("prints OK with the record count and exits 0 for an intact log", async () => {
    const dir = await dataDir();
    const { code, out } = await run("verify", "--data-dir", dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^OK: \d+ records in \d+ files, seq 1–\d+, signed through seq \d+$/m);
  });

  it("prints each problem with its file, line and seq, and exits 1", async () => {
    const dir = await dataDir();
    const path = join(dir, "audit.jsonl");
    const lines = readFileSync(path, "utf8").split("\n");
    const at = lines.findIndex((l) => l.includes('"t":"decision"'));
    lines[at] = (lines[at] as string).replace('"vm_name":"dev-', '"vm_name":"prod-');
    writeFileSync(path, lines.join("\n"));
    const seq = (JSON.parse(lines[at] as string) as { seq: number }).seq;
    const { code, out } = await run("verify", "--data-dir", dir);
    expect(code).toBe(1);
    expect(out).toContain(`EDITED: audit.jsonl line ${at + 1} (seq ${seq}): the line was changed`);
    expect(out).toMatch(/^FAILED: 1 problem in \d+ records in \d+ files$/m);
  });

  it("--file checks one file alone, such as a rotated .jsonl.gz", async () => {
    const dir = await dataDir();
    const { code, out } = await run("verify", "--file", join(dir, "audit.jsonl"));
    expect(code).toBe(0);
    expect(out).toMatch(/continuing an earlier file/);
  });

  it("a mistake on the command line is a user error (exit 2), saying what is expected", async () => {
    await expect(run("check")).rejects.toThrow(StartupError);
    await expect(run("verify", "--data-dir", "/nonexistent-dir")).rejects.toThrow(/no audit log at/);
    await expect(run("verify", "--file", "a", "--data-dir", "b")).rejects.toThrow(/not both/);
    await expect(run("verify", "--bogus")).rejects.toThrow(/see mcp-warden audit --help/);
  });
});
