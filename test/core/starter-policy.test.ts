/**
 * Starter policies: from the catalogue (virtualization-mcp, both modes) and from inference, valid, with a
 * comment on every rule; reads allowed, state changes asked and rate-limited, the irreversible refused.
 * `mcp-warden init` against the running stand-in writes one that `mcp-warden check` accepts.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../main/core/config/data-dir.js";
import { type CompiledPolicy, loadPolicy } from "../../main/core/policy/compile.js";
import { type DecisionWithCounts, decide } from "../../main/core/policy/decide.js";
import { RateLimiter } from "../../main/core/policy/limits.js";
import type { RiskTool } from "../../main/core/policy/risk.js";
import { STARTER_LIMITS, starterPolicy } from "../../main/core/policy/starter-policy.js";
import { parsePolicy } from "../../shared/policy-schema.js";
import { cliPath, tempDir, virtualizationServer } from "../helpers/warden.js";

const catalogue = JSON.parse(
  readFileSync(new URL("../../main/demo/virtualization-tools.json", import.meta.url), "utf8"),
) as { tools: RiskTool[] };
const TESTING = ["list_vms", "get_vm_info", "start_vm", "stop_vm", "delete_vm", "reset_vm", "list_snapshots"];

function compile(text: string): CompiledPolicy {
  const result = loadPolicy(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

function decideOn(
  policy: CompiledPolicy,
  server: string,
  tool: string,
  args: Record<string, unknown> = {},
  limits = new RateLimiter(),
): DecisionWithCounts {
  return decide(
    policy,
    { server, tool, args, grant: "cursor", session: "s" },
    { denyAll: false, limits, now: 1_000 },
  );
}

describe("starterPolicy from the catalogue", () => {
  const tools = [...catalogue.tools, ...TESTING.map((name) => ({ name }))];
  const { policy } = starterPolicy("virt", tools);
  const text = JSON.stringify(policy);
  const compiled = compile(text);

  it("is valid and has a comment on every rule and sub-rule", () => {
    expect(parsePolicy(text).ok).toBe(true);
    for (const [key, rule] of Object.entries(policy.tools ?? {})) {
      for (const r of Array.isArray(rule) ? rule : [rule]) expect(r.comment, key).toMatch(/\w{3,}/);
    }
    expect(policy.default).toBe("approve");
  });

  it("allows reads, asks with a limit for stop_vm, refuses delete_vm", () => {
    expect(decideOn(compiled, "virt", "list_vms").verdict).toBe("allow");
    const stop = decideOn(compiled, "virt", "stop_vm", { vm_name: "dev-web" });
    expect(stop).toMatchObject({ verdict: "approve", rule: 'tools["virt/stop_vm"]' });
    expect(stop.counterKeys).toHaveLength(1);
    expect(decideOn(compiled, "virt", "delete_vm", { vm_name: "dev-web" })).toMatchObject({
      verdict: "deny",
      reason: expect.stringMatching(/Deletes a VM .* a person, not an agent/),
    });
  });

  it("decides portmanteau tools per action", () => {
    expect(decideOn(compiled, "virt", "vm_management", { action: "list" }).verdict).toBe("allow");
    expect(decideOn(compiled, "virt", "vm_management", { action: "delete" }).verdict).toBe("deny");
    expect(decideOn(compiled, "virt", "snapshot_management", { action: "delete" }).verdict).toBe("deny");
    expect(decideOn(compiled, "virt", "sandbox_management", { action: "execute_code" }).verdict).toBe(
      "approve",
    );
    expect(decideOn(compiled, "virt", "sandbox_management", { action: "execute_file" }).verdict).toBe("deny");
    expect(decideOn(compiled, "virt", "proxmox_management", { operation: "delete_snapshot" }).verdict).toBe(
      "deny",
    );
    const unknown = decideOn(compiled, "virt", "vm_management", { action: "teleport" });
    expect(unknown).toMatchObject({ verdict: "approve", rule: 'tools["virt/vm_management"][10]' });
  });

  it("counts stop_vm, vm_management stop and hyperv_management stop against one limit", () => {
    const limits = new RateLimiter();
    const calls: [string, Record<string, unknown>][] = [
      ["stop_vm", { vm_name: "a" }],
      ["vm_management", { action: "stop", vm_name: "a" }],
      ["hyperv_management", { action: "stop", vm_name: "a" }],
      ["proxmox_management", { operation: "stop_vm", vmid: 1 }],
    ];
    for (let i = 0; i < STARTER_LIMITS.high; i++) {
      const [tool, args] = calls[i % calls.length] as [string, Record<string, unknown>];
      const d = decideOn(compiled, "virt", tool, args, limits);
      expect(d.verdict).toBe("approve");
      limits.reserve(d.counterKeys, 1_000);
    }
    const refused = decideOn(compiled, "virt", "vm_management", { action: "stop" }, limits);
    expect(refused).toMatchObject({ verdict: "deny", denial: "limit", limit: { counter: "virt/stop_vm" } });
  });

  it("governs only its own server: the same tool elsewhere falls to the default", () => {
    expect(decideOn(compiled, "other", "list_vms")).toMatchObject({ verdict: "approve", rule: "default" });
  });

  it("is the same policy whatever the mode: production only lacks the testing-mode rules", () => {
    const production = starterPolicy("virt", catalogue.tools).policy;
    const prod = compile(JSON.stringify(production));
    expect(decideOn(prod, "virt", "vm_management", { action: "stop" })).toMatchObject({
      verdict: "approve",
      rule: 'tools["virt/vm_management"][4]',
    });
    expect(Object.keys(production.tools ?? {}).every((k) => k in (policy.tools ?? {}))).toBe(true);
  });
});

describe("starterPolicy from inference", () => {
  it("allows declared reads, asks for changes and unknowns, refuses deletion; says it is inferred", () => {
    const { policy, rules } = starterPolicy("fs", [
      { name: "read_file", annotations: { readOnlyHint: true } },
      { name: "list_directory" },
      { name: "write_file", annotations: { readOnlyHint: false, destructiveHint: true } },
      { name: "delete_file" },
      { name: "frobnicate" },
    ]);
    expect(rules.map((r) => [r.key, r.action])).toEqual([
      ["fs/read_file", "allow"],
      ["fs/list_directory", "approve"],
      ["fs/write_file", "approve"],
      ["fs/delete_file", "deny"],
      ["fs/frobnicate", "approve"],
    ]);
    const tools = policy.tools ?? {};
    expect(JSON.stringify(tools["fs/list_directory"])).toMatch(
      /inferred .* check it.*does not declare it read-only/,
    );
    expect(parsePolicy(JSON.stringify(policy)).ok).toBe(true);
  });
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mcp-warden init against the stand-in", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("init-");
    const servers = {
      mcpServers: {
        testing: virtualizationServer("testing", join(dir, "testing-state.json")),
        production: virtualizationServer("production", join(dir, "production-state.json")),
        broken: {
          command: process.execPath,
          args: ["-e", "process.stderr.write('no hypervisor here'); process.exit(3)"],
        },
      },
    };
    writeFileSync(join(dir, "servers.json"), JSON.stringify(servers));
  });

  it.each(["testing", "production"])("writes a starter policy for the %s mode that check accepts", (mode) => {
    const policyPath = join(dir, `${mode}-policy.json`);
    const r = run("init", "--server", mode, "--servers", join(dir, "servers.json"), "--policy", policyPath);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote a starter policy for "${mode}"`);
    expect(r.stdout).toMatch(
      /vm_management, by action:\n\s+allow\s+list, info\n\s+approve\s+create, start, stop/,
    );
    expect(run("check", policyPath)).toMatchObject({ code: 0 });

    const policy = compile(readFileSync(policyPath, "utf8"));
    const stop = decideOn(policy, mode, "vm_management", { action: "stop", vm_name: "dev-web" });
    expect(stop.verdict).toBe("approve");
    expect(stop.counterKeys).toHaveLength(1);
    expect(decideOn(policy, mode, "vm_management", { action: "delete", vm_name: "dev-web" }).verdict).toBe(
      "deny",
    );
    expect(decideOn(policy, mode, "vm_management", { action: "list" }).verdict).toBe("allow");
    if (mode === "testing") {
      expect(decideOn(policy, mode, "list_vms").verdict).toBe("allow");
      expect(decideOn(policy, mode, "stop_vm", { vm_name: "dev-web" })).toMatchObject({ verdict: "approve" });
      expect(decideOn(policy, mode, "stop_vm", { vm_name: "dev-web" }).counterKeys).toHaveLength(1);
      expect(decideOn(policy, mode, "delete_vm", { vm_name: "dev-web" }).verdict).toBe("deny");
      expect(r.stdout).toMatch(/testing\/stop_vm\s+approve\s+destructive, high/);
    }
  });

  it("refuses to overwrite a policy without --force, and keeps a backup with it", () => {
    const policyPath = join(dir, "mine.json");
    const mine = '{ "version": "1", "default": "deny" }\n';
    writeFileSync(policyPath, mine);
    const args = [
      "init",
      "--server",
      "testing",
      "--servers",
      join(dir, "servers.json"),
      "--policy",
      policyPath,
    ];
    const refused = run(...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(policyPath, "utf8")).toBe(mine);
    const forced = run(...args, "--force");
    expect(forced.code).toBe(0);
    const backup = readdirSync(dir).find((f) => f.startsWith("mine.json.") && f.endsWith(".bak"));
    expect(backup && readFileSync(join(dir, backup), "utf8")).toBe(mine);
    expect(forced.stdout).toContain(`kept the old policy as ${join(dir, backup ?? "")}`);
  });

  it("replaces the first-run default policy without --force", () => {
    const dataDir = tempDir("init-data-");
    writeFileSync(join(dataDir, "policy.json"), `${JSON.stringify(DEFAULT_POLICY, null, 2)}\n`);
    const r = run(
      "init",
      "--server",
      "testing",
      "--servers",
      join(dir, "servers.json"),
      "--data-dir",
      dataDir,
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(dataDir, "policy.json"), "utf8")).toContain("Starter policy");
  });

  it("names the servers it has when the server is unknown, and says why one cannot be reached", () => {
    const servers = join(dir, "servers.json");
    const missing = run("init", "--server", "nope", "--servers", servers, "--policy", join(dir, "x.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no server "nope" .* \(it has: testing, production, broken\)/);
    const broken = run("init", "--server", "broken", "--servers", servers, "--policy", join(dir, "y.json"));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/could not reach server "broken": .*\n\s+no hypervisor here/);
    expect(run("init", "--servers", servers).stderr).toMatch(/init needs --server NAME/);
  });
});
