/**
 * The risk catalogue: every tool and action of virtualization-mcp classified, per action for the
 * portmanteau tools; inference for other servers from names, descriptions and annotations, where hints
 * only ever tighten.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VIRTUALIZATION_OPERATIONS } from "../../main/core/policy/operations.js";
import {
  CATALOGUE_TOOLS,
  RISK_KINDS,
  RISK_LEVELS,
  type Risk,
  type RiskTool,
  riskier,
  riskOf,
  toolRisks,
} from "../../main/core/policy/risk.js";

/** The real server's portmanteau tools (the stand-in's copy of the fixture). */
const fixture = JSON.parse(
  readFileSync(new URL("../../main/demo/virtualization-tools.json", import.meta.url), "utf8"),
) as { tools: (RiskTool & { inputSchema: { properties: Record<string, { enum?: string[] }> } })[] };

const TESTING_TOOLS = [
  "list_vms",
  "get_vm_info",
  "start_vm",
  "stop_vm",
  "create_vm",
  "delete_vm",
  "clone_vm",
  "reset_vm",
  "pause_vm",
  "resume_vm",
  "list_snapshots",
  "create_snapshot",
  "restore_snapshot",
  "delete_snapshot",
  "get_system_info",
  "get_vbox_version",
  "list_ostypes",
];

function kindLevel(risk: Risk): string {
  return `${risk.kind}/${risk.level}`;
}

describe("the virtualization-mcp catalogue", () => {
  it("classifies every action of every portmanteau tool of the real server, with a why", () => {
    let actions = 0;
    for (const tool of fixture.tools) {
      const risks = toolRisks(tool);
      expect(risks.argument, tool.name).toBeDefined();
      const listed = tool.inputSchema.properties.action?.enum ?? [];
      for (const action of listed) {
        const risk = risks.actions?.[action];
        expect(risk?.source, `${tool.name} ${action}`).toBe("catalogue");
        expect(RISK_KINDS).toContain(risk?.kind);
        expect(RISK_LEVELS).toContain(risk?.level);
        expect(risk?.why.length).toBeGreaterThan(10);
        expect(risk?.why).not.toContain("\n");
        actions++;
      }
    }
    // 59 actions in all; proxmox_management's ten operations are free text, not an enum.
    expect(actions + Object.keys(toolRisks({ name: "proxmox_management" }).actions ?? {}).length).toBe(59);
  });

  it("classifies every testing-mode tool from the catalogue", () => {
    for (const name of TESTING_TOOLS) {
      expect(CATALOGUE_TOOLS).toContain(name);
      expect(riskOf({ name }).source, name).toBe("catalogue");
    }
  });

  it.each([
    ["vm_management", "list", "read/low"],
    ["vm_management", "stop", "destructive/high"],
    ["vm_management", "reset", "destructive/high"],
    ["vm_management", "delete", "destructive/critical"],
    ["snapshot_management", "restore", "destructive/high"],
    ["snapshot_management", "delete", "destructive/critical"],
    ["network_management", "remove_network", "destructive/high"],
    ["storage_management", "remove_controller", "destructive/high"],
    ["sandbox_management", "execute_code", "execute/high"],
    ["sandbox_management", "execute_file", "execute/critical"],
    ["sandbox_management", "session_run", "execute/high"],
    ["hyperv_management", "stop", "destructive/high"],
  ])("%s %s is %s", (tool, action, expected) => {
    expect(kindLevel(riskOf({ name: tool }, { action }))).toBe(expected);
    expect(riskOf({ name: tool }, { action }).action).toBe(action);
  });

  it.each([
    ["stop_vm", "destructive/high"],
    ["shutdown_vm", "destructive/high"],
    ["delete_snapshot", "destructive/critical"],
    ["list_vms", "read/low"],
  ])("proxmox_management operation %s is %s", (operation, expected) => {
    expect(kindLevel(riskOf({ name: "proxmox_management" }, { operation }))).toBe(expected);
  });

  it("gives a testing-mode tool the same risk as the action it performs", () => {
    for (const [operation, targets] of Object.entries(VIRTUALIZATION_OPERATIONS)) {
      const target = targets[0];
      if (!target?.match) continue;
      // The effect's words are the same; a testing-mode tool may name its arguments differently.
      const {
        source: _s,
        action: _a,
        effect: viaEffect,
        ...viaAction
      } = riskOf({ name: target.tool }, target.match);
      const { source: _t, effect, ...direct } = riskOf({ name: operation });
      expect(effect?.replace(/\{\w+\}/g, "{}"), operation).toBe(viaEffect?.replace(/\{\w+\}/g, "{}"));
      expect(direct, operation).toEqual(viaAction);
    }
  });

  it("rates a portmanteau tool called without its action by its worst action", () => {
    expect(kindLevel(riskOf({ name: "vm_management" }))).toBe("destructive/critical");
    expect(riskOf({ name: "vm_management" }).action).toBe("delete");
    expect(kindLevel(riskOf({ name: "info_tools" }, {}))).toBe("read/low");
  });

  it("ignores proxmox_management's non-standard readonly annotation", () => {
    const tool = { name: "proxmox_management", annotations: { readonly: true, readOnlyHint: true } };
    expect(kindLevel(riskOf(tool, { operation: "stop_vm" }))).toBe("destructive/high");
  });

  it("infers an action a newer server version lists but the catalogue does not know", () => {
    const tool = {
      name: "vm_management",
      inputSchema: { properties: { action: { type: "string", enum: ["list", "stop", "purge_all"] } } },
    };
    const risks = toolRisks(tool);
    expect(risks.actions?.purge_all).toMatchObject({ source: "inferred", level: "critical" });
    expect(riskOf(tool, { action: "stop" }).source).toBe("catalogue");
    const unlisted = riskOf({ name: "proxmox_management" }, { operation: "reboot_vm" });
    expect(unlisted).toMatchObject({ source: "inferred", kind: "destructive", level: "high" });
    expect(unlisted.why).toMatch(/not an action this tool lists/);
  });
});

describe("inference for other servers", () => {
  it.each([
    [{ name: "delete_file" }, "destructive/critical"],
    [{ name: "dropTable" }, "destructive/critical"],
    [{ name: "kill-process" }, "destructive/high"],
    [{ name: "run_shell" }, "execute/high"],
    [{ name: "write_file" }, "write/medium"],
    [{ name: "read_file" }, "read/medium"],
    [{ name: "read_file", annotations: { readOnlyHint: true } }, "read/low"],
    [{ name: "frobnicate" }, "destructive/high"],
  ])("%j is %s", (tool, expected) => {
    const risk = riskOf(tool);
    expect(kindLevel(risk)).toBe(expected);
    expect(risk.source).toBe("inferred");
  });

  it("treats a tool without annotations as possibly destructive (the MCP default)", () => {
    const risk = riskOf({ name: "do_the_thing" });
    expect(kindLevel(risk)).toBe("destructive/high");
    expect(risk.why).toMatch(/MCP assumes/);
  });

  it("never lets a hint relax: readOnlyHint on delete_x, destructiveHint false, idempotentHint true", () => {
    const relaxing = {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    };
    expect(kindLevel(riskOf({ name: "delete_repo", annotations: relaxing }))).toBe("destructive/critical");
    expect(kindLevel(riskOf({ name: "run_script", annotations: relaxing }))).toBe("execute/high");
    expect(kindLevel(riskOf({ name: "update_issue", annotations: relaxing }))).toBe("write/medium");
    // A hint alone does not make an unknown tool harmless.
    expect(riskOf({ name: "frobnicate", annotations: relaxing }).level).not.toBe("low");
  });

  it("lets hints tighten: destructiveHint, readOnlyHint false, openWorldHint", () => {
    expect(kindLevel(riskOf({ name: "update_row", annotations: { destructiveHint: true } }))).toBe(
      "destructive/high",
    );
    expect(kindLevel(riskOf({ name: "get_or_create", annotations: { readOnlyHint: false } }))).toBe(
      "write/medium",
    );
    expect(kindLevel(riskOf({ name: "get_token", annotations: { readOnlyHint: false } }))).toBe(
      "write/medium",
    );
    expect(kindLevel(riskOf({ name: "send_email", annotations: { openWorldHint: true } }))).toBe(
      "write/high",
    );
  });

  it("raises the risk when the description speaks of deleting or running commands", () => {
    const cleanup = riskOf({ name: "save_builds", description: "Permanently deletes old builds." });
    expect(kindLevel(cleanup)).toBe("destructive/high");
    expect(cleanup.why).toMatch(/description mentions/);
    expect(kindLevel(riskOf({ name: "update_config", description: "Runs any command you give it." }))).toBe(
      "execute/high",
    );
    expect(
      kindLevel(
        riskOf({
          name: "get_helper",
          description: "Executes the helper.",
          annotations: { readOnlyHint: true },
        }),
      ),
    ).toBe("execute/high");
  });

  it("classifies an unknown server's action enum per action", () => {
    const tool = {
      name: "repo_admin",
      annotations: { readOnlyHint: true },
      inputSchema: { properties: { action: { enum: ["list", "archive", "delete"] } } },
    };
    const risks = toolRisks(tool);
    expect(risks.argument).toBe("action");
    expect(kindLevel(risks.actions?.list as Risk)).toBe("read/low");
    expect(kindLevel(riskOf(tool, { action: "delete" }))).toBe("destructive/critical");
    expect(riskOf(tool).action).toBe("delete");
  });

  it("splits camelCase, kebab-case and dotted names into words, and matches whole words only", () => {
    expect(riskOf({ name: "fs.deleteFile" }).level).toBe("critical");
    expect(riskOf({ name: "list_stopped_vms", annotations: { readOnlyHint: true } }).level).toBe("low");
    expect(riskOf({ name: "get_running_tasks", annotations: { readOnlyHint: true } }).level).toBe("low");
  });
});

describe("riskier", () => {
  it("orders by level, then by kind", () => {
    const r = (kind: Risk["kind"], level: Risk["level"]): Risk => ({
      kind,
      level,
      why: "",
      source: "inferred",
    });
    expect(riskier(r("read", "high"), r("destructive", "medium"))).toBe(true);
    expect(riskier(r("destructive", "high"), r("execute", "high"))).toBe(true);
    expect(riskier(r("write", "medium"), r("write", "medium"))).toBe(false);
  });
});
