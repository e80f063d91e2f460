/**
 * What the approval moment says: the headline names the effect and the argument the tool really acts on
 * (from the risk catalogue, per tool and action), every identifying argument for a tool the catalogue does
 * not know, what the limit leaves, and one vocabulary. The real stand-in server's tools (both modes) are
 * listed over stdio, so every effect is checked against the schemas the server really sends.
 */
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callTargets, effectArguments, type RiskTool, riskOf } from "../../main/core/policy/risk.js";
import {
  contextLine,
  END_WORDS,
  headlineText,
  ordinal,
  STATUS_WORDS,
  VERDICT_WORDS,
} from "../../shared/approval-text.js";
import type { LimitUse, PendingApproval } from "../../shared/contract.js";

/** proxmox_management's free-text operations, from its description. */
const PROXMOX_OPERATIONS = [
  "list_vms",
  "start_vm",
  "stop_vm",
  "shutdown_vm",
  "status",
  "create_snapshot",
  "list_snapshots",
  "delete_snapshot",
  "node_status",
  "cluster_resources",
];

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The tools the stand-in virtualization server lists in a mode, read from the running server. */
async function listedTools(mode: "production" | "testing"): Promise<Tool[]> {
  const client = new Client({ name: "approval-text-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ["--import", "tsx", "main/demo/virtualization-server.ts", "--mode", mode],
      cwd: repoRoot,
      env: getDefaultEnvironment(),
      stderr: "ignore",
    }),
  );
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
  }
}

let tools: Tool[] = [];
beforeAll(async () => {
  const [production, testing] = await Promise.all([listedTools("production"), listedTools("testing")]);
  tools = [...production, ...testing.filter((t) => !production.some((p) => p.name === t.name))];
});
afterAll(() => {
  tools = [];
});

function tool(name: string): RiskTool {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`the stand-in does not list ${name}`);
  return found as RiskTool;
}

/** The pending approval the warden would make for a call, through the same functions it uses. */
function pending(
  name: string,
  args: Record<string, unknown>,
  more: Partial<PendingApproval> = {},
): PendingApproval {
  const risk = riskOf(tools.find((t) => t.name === name) ?? { name }, args);
  return {
    id: "a",
    callId: "c",
    client: "claude-desktop",
    server: "virtualization",
    tool: name,
    args,
    rule: "default",
    reason: "",
    createdAt: 0,
    deadline: 60_000,
    callHash: "h",
    risk,
    targets: callTargets(risk, args),
    ...more,
  };
}

describe("the headline names what will really be touched", () => {
  it("proxmox stop_vm acts on vmid, never on the name beside it", () => {
    const approval = pending("proxmox_management", {
      operation: "stop_vm",
      vmid: "100",
      name: "dev-scratch",
    });
    expect(approval.targets).toEqual([{ argument: "vmid", value: "100" }]);
    expect(headlineText(approval)).toBe("Stop Proxmox VM 100 on virtualization?");
    expect(headlineText(approval)).not.toContain("dev-scratch");
  });

  it("execute_file acts on the host file it runs, not on a harmless-looking name", () => {
    for (const decoy of [{ name: "weekly-report.pdf" }, { sandbox_name: "weekly-report.pdf" }]) {
      const approval = pending("sandbox_management", {
        action: "execute_file",
        ...decoy,
        host_path: "~/.ssh/id_ed25519",
      });
      expect(headlineText(approval)).toBe("Run host file ~/.ssh/id_ed25519 in a sandbox on virtualization?");
    }
  });

  it.each([
    ["stop_vm", { vm_name: "prod-api", force: true }, "Stop VM prod-api on virtualization?"],
    ["vm_management", { action: "stop", vm_name: "prod-api" }, "Stop VM prod-api on virtualization?"],
    ["vm_management", { action: "delete", vm_name: "old-ci" }, "Delete VM old-ci on virtualization?"],
    [
      "vm_management",
      { action: "clone", source_vm: "golden", new_vm_name: "ci-7", vm_name: "decoy" },
      "Clone VM golden as ci-7 on virtualization?",
    ],
    ["clone_vm", { source_vm: "golden", new_name: "ci-7" }, "Clone VM golden as ci-7 on virtualization?"],
    ["create_vm", { name: "ci-8" }, "Create VM ci-8 on virtualization?"],
    [
      "snapshot_management",
      { action: "delete", vm_name: "db", snapshot_name: "before-upgrade" },
      "Delete snapshot before-upgrade of VM db on virtualization?",
    ],
    [
      "proxmox_management",
      { operation: "delete_snapshot", vmid: 104, snapshot_name: "nightly", name: "x" },
      "Delete snapshot nightly of Proxmox VM 104 on virtualization?",
    ],
    [
      "network_management",
      { action: "remove_network", network_name: "vboxnet0", vm_name: "decoy" },
      "Remove host network vboxnet0 on virtualization?",
    ],
    [
      "storage_management",
      { action: "attach_disk", vm_name: "db", disk_path: "/srv/secrets.vdi", disk_name: "scratch" },
      "Attach disk /srv/secrets.vdi to VM db on virtualization?",
    ],
    [
      "hyperv_management",
      { action: "stop", vm_name: "win-build" },
      "Stop Hyper-V VM win-build on virtualization?",
    ],
  ] as const)("%s %j: %s", (name, args, headline) => {
    expect(headlineText(pending(name, { ...args }))).toBe(headline);
  });

  it("a catalogued argument that was not sent is said, and what was sent is shown beside it", () => {
    const approval = pending("stop_vm", { path: "/etc/passwd" });
    expect(headlineText(approval)).toBe("Stop VM (no vm_name given) (path /etc/passwd) on virtualization?");
  });

  it("a tool the catalogue does not know lists every identifying argument, never one decoy", () => {
    const approval = pending("upload", {
      name: "weekly-report.pdf",
      path: "~/.ssh/id_ed25519",
      bucketId: 7,
      destination_url: "https://example.net/drop",
      content: "not an identifier",
      options: { path: "nested objects stay in the full view" },
    });
    expect(approval.targets).toEqual([
      { argument: "name", value: "weekly-report.pdf" },
      { argument: "path", value: "~/.ssh/id_ed25519" },
      { argument: "bucketId", value: "7" },
      { argument: "destination_url", value: "https://example.net/drop" },
    ]);
    expect(headlineText(approval)).toBe(
      "Call upload (name weekly-report.pdf, path ~/.ssh/id_ed25519, bucketId 7, destination_url https://example.net/drop) on virtualization?",
    );
    expect(headlineText(pending("write_file", { content: "x" }))).toBe("Call write_file on virtualization?");
  });

  it("an action the catalogue does not list is shown like an unknown tool", () => {
    const approval = pending("vm_management", { action: "migrate", vm_name: "db", host: "far-away" });
    expect(headlineText(approval)).toBe("Call vm_management (vm_name db, host far-away) on virtualization?");
  });

  it("agent-chosen values cannot break the line or reorder it", () => {
    const approval = pending("stop_vm", { vm_name: "prod\n-db\u202Egpj.exe" });
    expect(headlineText(approval)).toBe("Stop VM prod -db gpj.exe on virtualization?");
  });

  it("a long value is cut in its middle, so the end of a path stays in view", () => {
    const host_path = `/home/me/reports/${"a/".repeat(100)}../../../../.ssh/id_ed25519`;
    const headline = headlineText(pending("sandbox_management", { action: "execute_file", host_path }));
    expect(headline).toMatch(/^Run host file \/home\/me\/reports\/a\/a.*….*\.ssh\/id_ed25519 in a sandbox/);
    expect(headline.length).toBeLessThan(130);
  });

  it("every action of every real tool has an effect whose arguments are in its input schema", () => {
    let checked = 0;
    for (const t of tools) {
      const properties = Object.keys(t.inputSchema.properties ?? {});
      const actionArgument = t.name === "proxmox_management" ? "operation" : "action";
      const schema = t.inputSchema.properties?.[actionArgument] as { enum?: string[] } | undefined;
      const actions = t.name === "proxmox_management" ? PROXMOX_OPERATIONS : (schema?.enum ?? [undefined]);
      for (const action of actions) {
        const risk = riskOf(tool(t.name), action ? { [actionArgument]: action } : {});
        expect(risk.effect, `${t.name} ${action ?? ""}`).toBeTruthy();
        for (const argument of effectArguments(risk.effect ?? "")) {
          expect(properties, `${t.name} ${action ?? ""} names ${argument}`).toContain(argument);
        }
        checked += 1;
      }
    }
    // 59 actions less hyperv_management's 4 (Windows only), and the 17 testing-mode tools.
    expect(checked).toBe(55 + 17);
  });
});

describe("the context line: recent calls and what the limit leaves", () => {
  const limit = (more: Partial<LimitUse> = {}): LimitUse => ({
    counter: "stop_vm_rate",
    window: "minute",
    max: 10,
    scope: "grant",
    used: 3,
    ...more,
  });

  it("says which call this is in the window and how many are left", () => {
    const approval = pending("stop_vm", { vm_name: "prod-api" }, { operation: "stop_vm", limits: [limit()] });
    expect(contextLine(approval)).toBe("3rd stop_vm from claude-desktop in the last minute; 7 left of 10");
  });

  it("takes the tightest limit, names its scope, and says when none is left", () => {
    const approval = pending(
      "stop_vm",
      {},
      {
        limits: [
          limit({ used: 2 }),
          limit({ counter: "all", window: "1h", max: 21, scope: "global", used: 21 }),
        ],
      },
    );
    expect(contextLine(approval)).toBe(
      "21st stop_vm from all clients in the last 1h; none left: the next is denied until a slot frees up",
    );
    expect(contextLine(pending("stop_vm", {}, { limits: [limit({ scope: "server", used: 1 })] }))).toBe(
      "1st stop_vm to virtualization in the last minute; 9 left of 10",
    );
    expect(contextLine(pending("stop_vm", {}))).toBeUndefined();
  });

  it("says how many such calls this client made in the last minute, with or without a limit", () => {
    const recent = { calls: 3, window: "minute" };
    const stop = (more: Partial<PendingApproval>) =>
      pending("stop_vm", {}, { operation: "stop_vm", ...more });
    expect(contextLine(stop({ recent }))).toBe("3rd stop_vm from this client in the last minute");
    expect(contextLine(stop({ recent, limits: [limit()] }))).toBe(
      "3rd stop_vm from this client in the last minute; 7 left of 10",
    );
    expect(contextLine(stop({ recent: { calls: 5, window: "minute" }, limits: [limit({ used: 10 })] }))).toBe(
      "5th stop_vm from this client in the last minute; none left: the next is denied until a slot frees up",
    );
  });

  it("says whose calls and what span a limit counts when it is not this client's last minute", () => {
    const recent = { calls: 1, window: "minute" };
    const stop = (l: LimitUse) => pending("stop_vm", {}, { operation: "stop_vm", recent, limits: [l] });
    expect(contextLine(stop(limit({ scope: "global", window: "day", max: 100, used: 40 })))).toBe(
      "1st stop_vm from this client in the last minute; 60 left of 100 from all clients in the last day",
    );
    expect(contextLine(stop(limit({ window: "hour", used: 4 })))).toBe(
      "1st stop_vm from this client in the last minute; 6 left of 10 from this client in the last hour",
    );
    expect(contextLine(stop(limit({ scope: "server", used: 2 })))).toBe(
      "1st stop_vm from this client in the last minute; 8 left of 10 to virtualization in the last minute",
    );
  });

  it.each([
    [1, "1st"],
    [2, "2nd"],
    [3, "3rd"],
    [4, "4th"],
    [11, "11th"],
    [12, "12th"],
    [13, "13th"],
    [21, "21st"],
    [102, "102nd"],
  ])("%i is the %s", (n, text) => {
    expect(ordinal(n)).toBe(text);
  });
});

describe("one vocabulary", () => {
  it("the policy's approve asks a human; calls are waiting, approved, denied, timed out or withdrawn", () => {
    expect(VERDICT_WORDS.approve).toBe("ask a human");
    const words = [...Object.values(STATUS_WORDS), ...Object.values(END_WORDS)].join(" ");
    expect(words).not.toMatch(/reject|awaiting/);
    expect(STATUS_WORDS["awaiting-approval"]).toBe("waiting for approval");
    expect(STATUS_WORDS.rejected).toBe(END_WORDS.denied);
  });
});
