/** The CLI's one-shot commands and its errors, run as a user would run them. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  callTool,
  cliPath,
  type RunningWarden,
  SEED_POLICY,
  startWarden,
  tempDir,
} from "./helpers/warden.js";

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("mcp-warden check", () => {
  it("accepts the seed policy verbatim with exit 0", () => {
    const r = run("check", file("seed.json", SEED_POLICY));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid/);
  });

  it("prints each error on its own line with its JSON path and exits 1", () => {
    const bad = file(
      "bad.json",
      '{"version":"1","default":"nope","tools":{"x":{"acton":"deny","limits":[{"counter":"c","window":"week","max":1}]}}}',
    );
    const r = run("check", bad);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.includes(": default: "))).toBe(true);
    expect(lines.some((l) => l.includes(": tools.x: ") && l.includes("acton"))).toBe(true);
    expect(lines.some((l) => l.includes(": tools.x.limits[0].window: "))).toBe(true);
  });

  it("says clearly when the file is missing or not JSON", () => {
    const missing = run("check", "/nonexistent/policy.json");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read policy file \/nonexistent\/policy.json: ENOENT/);
    const garbage = run("check", file("g.json", "{ not json"));
    expect(garbage.code).toBe(1);
    expect(garbage.stdout).toMatch(/not valid JSON/);
  });
});

describe("mcp-warden decide", () => {
  it("prints the decision and the rule for a call, exit 0", () => {
    const policy = file("p.json", SEED_POLICY);
    const stop = run(
      "decide",
      "--policy",
      policy,
      "--tool",
      "vm_management",
      "--args",
      '{"action":"stop","vm_name":"dev-web"}',
      "--json",
    );
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({
      verdict: "allow",
      rule: 'tools["stop_vm"]',
      operation: "stop_vm",
    });
    const asks = file(
      "asks.json",
      JSON.stringify({
        version: "1",
        default: "deny",
        tools: {
          stop_vm: {
            action: "approve",
            approval: { timeout: "90s" },
            limits: [{ counter: "stops", window: "minute", max: 10, scope: "grant" }],
          },
        },
      }),
    );
    const asked = run("decide", "--policy", asks, "--tool", "stop_vm", "--args", '{"vm_name":"x"}');
    expect(asked.stdout.split("\n")[0]).toBe(
      "ask a human (denied without an answer in 1m 30s; limit stops: 10 per minute per grant, 10 left)",
    );
    const del = run("decide", "--policy", policy, "--tool", "delete_vm", "--json");
    expect(JSON.parse(del.stdout)).toMatchObject({ verdict: "deny", rule: "default" });
  });

  it("rejects bad flags and bad arguments with one line and a non-zero exit", () => {
    const policy = file("p.json", SEED_POLICY);
    const unknown = run("decide", "--policy", policy, "--tool", "x", "--frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    const badArgs = run("decide", "--policy", policy, "--tool", "x", "--args", "{oops");
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toMatch(/--args is not JSON/);
    expect(run("frobnicate").code).toBe(2);
  });
});

describe("mcp-warden schema", () => {
  it("prints a JSON Schema for the policy format", () => {
    const r = run("schema");
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.default.enum).toEqual(["allow", "deny", "approve"]);
    expect(schema.required).toContain("version");
  });
});

describe("mcp-warden serve", () => {
  it("on first run writes a safe default policy and user-only tokens, and --demo gives it something to guard", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const policy = JSON.parse(readFileSync(join(warden.dataDir, "policy.json"), "utf8"));
    expect(policy).toMatchObject({
      version: "1",
      default: "approve",
      tools: { delete_vm: { action: "deny" } },
    });
    const tokens = join(warden.dataDir, "tokens.json");
    expect(statSync(tokens).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(tokens, "utf8")).grants.default).toMatch(/^[\w-]{20,}$/);
    expect(existsSync(join(warden.dataDir, "runtime.json"))).toBe(true);
    expect(warden.output()).toMatch(
      /endpoint: http:\/\/127\.0\.0\.1:\d+\/mcp\/virtualization-demo\s+\(demo stand-in/,
    );

    const client = await warden.client("virtualization-demo");
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    expect((await callTool(client, "delete_vm", { vm_name: "dev-web" })).isError).toBe(true);
  });

  it("refuses an unknown flag and a broken servers file with one clear line", () => {
    const dataDir = tempDir();
    const flag = spawnSync(
      process.execPath,
      [cliPath, "serve", "--data-dir", dataDir, "--port", "0", "--bogus"],
      {
        encoding: "utf8",
      },
    );
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--bogus/);
    writeFileSync(join(dataDir, "servers.json"), '{"mcpServers": {"x": {"args": []}}}');
    const servers = spawnSync(process.execPath, [cliPath, "serve", "--data-dir", dataDir, "--port", "0"], {
      encoding: "utf8",
    });
    expect(servers.status).toBe(2);
    expect(servers.stderr).toMatch(/servers file .*servers\.json: mcpServers\.x: give either command/);
  });

  it("refuses to start on an invalid policy, naming each error", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "policy.json"), '{"version": "2", "default": "allow"}');
    const r = spawnSync(process.execPath, [cliPath, "serve", "--data-dir", dataDir, "--port", "0"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/policy .*policy\.json is invalid/);
    expect(r.stderr).toMatch(/version/);
  });
});
