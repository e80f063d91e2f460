import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const serverEntry = "main/demo/virtualization-server.ts";

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

interface FixtureTool {
  name: string;
  inputSchema: Record<string, unknown>;
  _platform: string;
}

interface StateFile {
  pid: number;
  mode: string;
  vms: Record<
    string,
    { state: string; ostype: string; memory_mb: number; cpu_count: number; snapshots: string[] }
  >;
  calls: { tool: string; args: Record<string, unknown>; ts: number }[];
}

interface Running {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
}

const fixtureTools = (
  JSON.parse(readFileSync(path.join(repoRoot, "main/demo/virtualization-tools.json"), "utf8")) as {
    tools: FixtureTool[];
  }
).tools;

const openClients: Client[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((client) => client.close()));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir (removed after the test) and a state file path inside it. */
function tempStateFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "warden-"));
  tempDirs.push(dir);
  return path.join(dir, "state.json");
}

/** Spawns the demo server for real and connects an SDK client to it. */
async function start(
  mode: "production" | "testing",
  env: Record<string, string> = {},
  capabilities: ClientCapabilities = {},
  /** Runs before the client connects: handlers set here see messages that arrive during start-up. */
  beforeConnect: (client: Client) => void = () => {},
): Promise<Running> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", serverEntry, "--mode", mode],
    cwd: repoRoot,
    env: { ...getDefaultEnvironment(), ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "warden-test", version: "0.0.0" }, { capabilities });
  openClients.push(client);
  beforeConnect(client);
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/** Calls a tool through a raw tools/call request. */
function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, CallToolResultSchema);
}

/** The result dict, after checking that the text block carries the same dict. */
function dictOf(result: CallToolResult): Record<string, unknown> {
  const block = result.content[0];
  expect(block?.type).toBe("text");
  expect(JSON.parse(block?.type === "text" ? block.text : "null")).toEqual(result.structuredContent);
  expect(result.isError).toBeFalsy();
  return result.structuredContent ?? {};
}

/** Reads the state file the server writes. */
function readState(file: string): StateFile {
  return JSON.parse(readFileSync(file, "utf8")) as StateFile;
}

describe("virtualization-mcp demo server", () => {
  it("lists exactly the portmanteau tools of tools.json in production mode", async () => {
    const { client, stderr } = await start("production");
    expect(client.getServerVersion()).toMatchObject({ name: "virtualization-mcp", version: "1.2.0-demo" });
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);

    const { tools } = await client.listTools();
    const expected = fixtureTools.filter((t) => t._platform !== "win32 only" || process.platform === "win32");
    expect(tools.map((t) => t.name)).toEqual(expected.map((t) => t.name));
    for (const tool of tools) {
      expect(tool.inputSchema).toEqual(expected.find((t) => t.name === tool.name)?.inputSchema);
      expect(tool.outputSchema).toEqual({ type: "object", additionalProperties: true });
      expect(tool).not.toHaveProperty("_platform");
    }
    expect(stderr()).toContain("virtualization-mcp demo stand-in (mode production) — not a real hypervisor");
  });

  it("adds the individual tools in testing mode", async () => {
    const { client } = await start("testing");
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining([...TESTING_TOOLS, "vm_management", "snapshot_management"]));
    expect(names).toHaveLength(
      fixtureTools.length - (process.platform === "win32" ? 0 : 1) + TESTING_TOOLS.length,
    );

    const stopVm = tools.find((t) => t.name === "stop_vm");
    expect(stopVm?.inputSchema).toEqual({
      type: "object",
      properties: {
        vm_name: { type: "string" },
        force: { type: "boolean", default: false },
        timeout: { type: "integer", default: 30 },
      },
      required: ["vm_name"],
    });
    const cloneVm = tools.find((t) => t.name === "clone_vm");
    expect(cloneVm?.inputSchema.properties?.snapshot).toEqual({
      anyOf: [{ type: "string" }, { type: "null" }],
      default: null,
    });
  });

  it("really stops VMs through stop_vm and vm_management, journaling each call", async () => {
    const stateFile = tempStateFile();
    const { client, transport } = await start("testing", { VIRT_STATE_FILE: stateFile });
    expect(readState(stateFile).vms["dev-web"]?.state).toBe("running");

    const direct = dictOf(await call(client, "stop_vm", { vm_name: "dev-web" }));
    expect(direct).toMatchObject({ success: true, vm_name: "dev-web", state: "poweroff" });
    const routed = dictOf(await call(client, "vm_management", { action: "stop", vm_name: "dev-db" }));
    expect(routed).toMatchObject({ success: true, action: "stop", vm_name: "dev-db" });

    const state = readState(stateFile);
    expect(state).toMatchObject({ pid: transport.pid, mode: "testing" });
    expect(state.vms["dev-web"]).toEqual({
      state: "poweroff",
      ostype: "Ubuntu_64",
      memory_mb: 2048,
      cpu_count: 2,
      snapshots: ["clean"],
    });
    expect(state.vms["dev-db"]?.state).toBe("poweroff");
    expect(state.vms["prod-db"]?.state).toBe("running");
    expect(state.calls.map(({ tool, args }) => ({ tool, args }))).toEqual([
      { tool: "stop_vm", args: { vm_name: "dev-web" } },
      { tool: "vm_management", args: { action: "stop", vm_name: "dev-db" } },
    ]);
  });

  it("reports failures as {success:false,error} results and unknown tools as JSON-RPC errors", async () => {
    const stateFile = tempStateFile();
    const { client } = await start("testing", { VIRT_STATE_FILE: stateFile });

    expect(dictOf(await call(client, "stop_vm", { vm_name: "ghost" }))).toEqual({
      success: false,
      error: "VM 'ghost' not found",
    });
    const stopped = dictOf(await call(client, "stop_vm", { vm_name: "test-runner" }));
    expect(stopped).toMatchObject({ success: false, error: expect.stringContaining("not running") });
    const missing = dictOf(await call(client, "stop_vm", {}));
    expect(missing).toMatchObject({ success: false, error: expect.stringContaining("vm_name") });
    const badAction = dictOf(await call(client, "vm_management", { action: "shred", vm_name: "dev-web" }));
    expect(badAction).toMatchObject({
      success: false,
      error: expect.stringContaining("Invalid action 'shred'"),
    });
    const noSampling = dictOf(await call(client, "vm_agentic_workflow", { action: "suggest_config" }));
    expect(noSampling).toMatchObject({ success: false });

    await expect(call(client, "format_host", {})).rejects.toMatchObject({ code: -32602 });
    expect(readState(stateFile).calls).toHaveLength(6);
    expect(readState(stateFile).vms["dev-web"]?.state).toBe("running");
  });

  it("exits mid-call without answering when stopping VIRT_CRASH_VM", async () => {
    const stateFile = tempStateFile();
    const { client, transport, stderr } = await start("production", {
      VIRT_STATE_FILE: stateFile,
      VIRT_CRASH_VM: "prod-db",
    });
    const pid = transport.pid;
    expect(pid).toBeTypeOf("number");

    await expect(call(client, "vm_management", { action: "stop", vm_name: "prod-db" })).rejects.toThrow();
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
    expect(stderr()).toContain("VIRT_CRASH_VM=prod-db");
    const state = readState(stateFile);
    expect(state.calls.map((c) => c.tool)).toEqual(["vm_management"]);
    expect(state.vms["prod-db"]?.state).toBe("running");
  });

  it("keeps VM state and the journal across a restart with the same VIRT_STATE_FILE", async () => {
    const stateFile = tempStateFile();
    const first = await start("testing", { VIRT_STATE_FILE: stateFile });
    dictOf(await call(first.client, "stop_vm", { vm_name: "prod-api" }));
    dictOf(
      await call(first.client, "create_snapshot", { vm_name: "prod-api", snapshot_name: "before-upgrade" }),
    );
    const firstPid = first.transport.pid;
    await first.client.close();

    const second = await start("testing", { VIRT_STATE_FILE: stateFile });
    const info = dictOf(await call(second.client, "get_vm_info", { vm_name: "prod-api" }));
    expect(info).toMatchObject({
      success: true,
      vm_info: { state: "poweroff", snapshots: ["before-upgrade"] },
    });
    const state = readState(stateFile);
    expect(state.pid).toBe(second.transport.pid);
    expect(state.pid).not.toBe(firstPid);
    expect(state.calls.map((c) => c.tool)).toEqual(["stop_vm", "create_snapshot", "get_vm_info"]);
  });

  it("journals a call on receipt while VIRT_DELAY_MS holds the answer", async () => {
    const stateFile = tempStateFile();
    const { client } = await start("production", { VIRT_STATE_FILE: stateFile, VIRT_DELAY_MS: "400" });
    const pending = call(client, "vm_management", { action: "list" });
    const started = Date.now();
    while (readState(stateFile).calls.length === 0) {
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result = dictOf(await pending);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result).toMatchObject({ success: true, action: "list", total: 5 });
  });

  it("adds vm_console and notifies list_changed after VIRT_LIST_CHANGE_AFTER_MS", async () => {
    // The server's timer starts when it does, so the notification can come before connect() resolves
    // (a loaded machine): listen from the start.
    let changed: Promise<void> = Promise.resolve();
    const { client } = await start("production", { VIRT_LIST_CHANGE_AFTER_MS: "50" }, {}, (c) => {
      changed = new Promise<void>((resolve) => {
        c.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve());
      });
    });
    await changed;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("vm_console");
    expect(dictOf(await call(client, "vm_console", { vm_name: "dev-web" }))).toMatchObject({ success: true });
  });

  it("relays vm_agentic_workflow through sampling when the client offers it", async () => {
    const { client } = await start("production", {}, { sampling: {} });
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: "assistant",
      model: "test-model",
      content: { type: "text", text: "Ubuntu_64, 4096 MB, 40 GB" },
    }));
    const result = dictOf(
      await call(client, "vm_agentic_workflow", { action: "suggest_config", use_case: "CI" }),
    );
    expect(result).toMatchObject({ success: true, data: { suggestion: "Ubuntu_64, 4096 MB, 40 GB" } });
  });
});
