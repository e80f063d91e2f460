/**
 * Tool calls as tasks (MCP 2025-11-25): a call that has to wait for a human is answered at once with a task
 * the client polls, so the wait outlasts any request timeout; a server's own tasks pass through untouched.
 * Real SDK clients (the TS SDK's task streaming API) against the warden in front of real servers.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type CallToolResult, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  everythingEntry,
  grantArgs,
  messageTexts,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    list_vms: { action: "allow" },
    stop_vm: {
      action: "approve",
      reason: "Stopping a VM takes services offline",
      approval: { timeout: "2m" },
    },
    "simulate-research-query": { action: "approve", approval: { timeout: "2m" } },
    "everything/echo": { action: "allow" },
  },
});

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

async function start(servers: Record<string, unknown>, extraArgs: string[] = [], policy = POLICY) {
  warden = await startWarden({ policy, servers, extraArgs });
  return warden;
}

type Pending = { id: string; callHash: string; tool: string };

async function pendingOne(w: RunningWarden): Promise<Pending> {
  let pending: Pending[] = [];
  await waitFor(
    async () => {
      pending = (await w.api("listApprovals")) as Pending[];
      return pending.length === 1;
    },
    10_000,
    "a pending approval",
  );
  return pending[0] as Pending;
}

/** What a task-streaming call yields, collected; `onStatus` runs on every poll the client makes. */
async function streamCall(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options: {
    timeout: number;
    onStatus?: (n: number, status: { status: string; statusMessage?: string }) => void;
  },
) {
  const seen: { type: string; taskId?: string; status?: string; statusMessage?: string }[] = [];
  let result: CallToolResult | undefined;
  let error: Error | undefined;
  let polls = 0;
  const stream = client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, {
    task: { ttl: 60_000 },
    timeout: options.timeout,
  });
  for await (const message of stream) {
    if (message.type === "taskCreated")
      seen.push({ type: message.type, taskId: message.task.taskId, status: message.task.status });
    else if (message.type === "taskStatus") {
      polls++;
      seen.push({
        type: message.type,
        status: message.task.status,
        statusMessage: message.task.statusMessage,
      });
      options.onStatus?.(polls, message.task);
    } else if (message.type === "result") result = message.result as CallToolResult;
    else if (message.type === "error") error = message.error;
  }
  return { seen, result, error, polls };
}

describe("a call that waits for a human, run as a task", () => {
  it("answers with a task at once; the client polls past its request timeout until the human approves", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const client = await w.client("virt");
    // The warden offers tasks for tool calls even though the server has none of its own.
    expect(client.getServerCapabilities()?.tasks).toMatchObject({ requests: { tools: { call: {} } } });
    let approved: Promise<unknown> | undefined;
    const outcome = await streamCall(
      client,
      "stop_vm",
      { vm_name: "dev-web" },
      {
        // Each request gives up after 1 s; the human answers after three polls (a second or more apart).
        timeout: 1_000,
        onStatus: (n) => {
          if (n === 3)
            approved = pendingOne(w).then((p) => w.api("approve", { id: p.id, callHash: p.callHash }));
        },
      },
    );
    expect(await approved).toEqual({ ok: true });
    expect(outcome.error).toBeUndefined();
    expect(outcome.seen[0]).toMatchObject({ type: "taskCreated", status: "working" });
    expect(outcome.seen.find((s) => s.type === "taskStatus")?.statusMessage).toMatch(/approve/);
    expect(outcome.polls).toBeGreaterThanOrEqual(3);
    expect(outcome.result?.isError).toBeFalsy();
    expect(textOf(outcome.result as CallToolResult)).toMatch(/dev-web/);
    expect(readState(state).calls.map((c) => c.tool)).toEqual(["stop_vm"]);
    // The audit has the call approved and forwarded, as any other.
    const calls = await w.api("listCalls", {});
    expect(calls.find((c) => c.tool === "stop_vm")).toMatchObject({ status: "approved", outcome: "ok" });
  });

  it("a human's denial ends the task with the refusal the agent reads; nothing reaches the server", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const client = await w.client("virt");
    let denied: Promise<unknown> | undefined;
    const outcome = await streamCall(
      client,
      "stop_vm",
      { vm_name: "dev-web" },
      {
        timeout: 5_000,
        onStatus: (n) => {
          if (n === 1) denied = pendingOne(w).then((p) => w.api("deny", { id: p.id }));
        },
      },
    );
    expect(await denied).toEqual({ ok: true });
    expect(outcome.result?.isError).toBe(true);
    expect(textOf(outcome.result as CallToolResult)).toMatch(/MCP Warden/);
    expect(readState(state).calls).toEqual([]);
  });

  it("cancelling the task withdraws the approval request; the task stays cancelled", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const client = await w.client("virt");
    const created = (await client.request(
      {
        method: "tools/call",
        params: { name: "stop_vm", arguments: { vm_name: "dev-web" }, task: { ttl: 60_000 } },
      },
      // The answer is a CreateTaskResult: read it loosely.
      CallToolResultSchema.passthrough(),
    )) as unknown as { task: { taskId: string; status: string } };
    expect(created.task.status).toBe("working");
    await pendingOne(w);
    const cancelled = await client.experimental.tasks.cancelTask(created.task.taskId);
    expect(cancelled.status).toBe("cancelled");
    await waitFor(
      async () => ((await w.api("listApprovals")) as unknown[]).length === 0,
      10_000,
      "the approval withdrawn",
    );
    expect((await client.experimental.tasks.getTask(created.task.taskId)).status).toBe("cancelled");
    await expect(client.experimental.tasks.cancelTask(created.task.taskId)).rejects.toThrow(/already ended/);
    expect(readState(state).calls).toEqual([]);
  });

  it("a task is its grant's own: another client cannot see, read or cancel it", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) }, grantArgs("bob", "bob-token"));
    const alice = await w.client("virt");
    const bob = await w.client("virt", "bob-token");
    const created = (await alice.request(
      {
        method: "tools/call",
        params: { name: "stop_vm", arguments: { vm_name: "dev-web" }, task: {} },
      },
      CallToolResultSchema.passthrough(),
    )) as unknown as { task: { taskId: string } };
    const taskId = created.task.taskId;
    expect((await alice.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([taskId]);
    expect((await bob.experimental.tasks.listTasks()).tasks).toEqual([]);
    await expect(bob.experimental.tasks.getTask(taskId)).rejects.toThrow();
    await expect(bob.experimental.tasks.cancelTask(taskId)).rejects.toThrow();
    expect((await alice.experimental.tasks.getTask(taskId)).status).toBe("working");
  });

  it("a call that needs nobody, on a server without tasks, is still the task the client asked for", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const client = await w.client("virt");
    const outcome = await streamCall(client, "list_vms", {}, { timeout: 5_000 });
    expect(outcome.seen[0]?.type).toBe("taskCreated");
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.isError).toBeFalsy();
    expect(readState(state).calls.map((c) => c.tool)).toEqual(["list_vms"]);
  });
});

describe("a server that runs tasks itself", () => {
  const everything = { everything: { command: process.execPath, args: [everythingEntry, "stdio"] } };

  it("its own tasks pass through: the client polls the server's task", async () => {
    // Allowed without a human: the warden hands the server's task on.
    const allowed = JSON.parse(POLICY) as { tools: Record<string, unknown> };
    allowed.tools["simulate-research-query"] = { action: "allow" };
    const w = await start(everything, [], JSON.stringify(allowed));
    const client = await w.client("everything");
    await client.listTools();
    const outcome = await streamCall(
      client,
      "simulate-research-query",
      { topic: "hypervisors" },
      { timeout: 10_000 },
    );
    expect(outcome.error).toBeUndefined();
    expect(
      outcome.seen.some(
        (s) =>
          s.type === "taskStatus" &&
          /Gathering|Analyzing|Synthesizing|Generating/.test(s.statusMessage ?? ""),
      ),
    ).toBe(true);
    expect(textOf(outcome.result as CallToolResult)).toMatch(/hypervisors/);
  });

  it("a task-only tool that needs a human: the warden's task waits, then follows the server's to its result", async () => {
    const w = await start(everything);
    const client = await w.client("everything");
    await client.listTools();
    let approved: Promise<unknown> | undefined;
    const outcome = await streamCall(
      client,
      "simulate-research-query",
      { topic: "snapshots" },
      {
        timeout: 10_000,
        onStatus: (n) => {
          if (n === 1)
            approved = pendingOne(w).then((p) => w.api("approve", { id: p.id, callHash: p.callHash }));
        },
      },
    );
    expect(await approved).toEqual({ ok: true });
    expect(outcome.error).toBeUndefined();
    expect(outcome.seen.find((s) => s.type === "taskStatus")?.statusMessage).toMatch(/approve/);
    expect(textOf(outcome.result as CallToolResult)).toMatch(/snapshots/);
  });
});

describe("2026-07-28: the tasks extension", () => {
  const MODERN = "2026-07-28";
  const meta = (capabilities: Record<string, unknown>) => ({
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    "io.modelcontextprotocol/clientInfo": { name: "raw-2026", version: "1" },
  });
  const WITH_TASKS = { extensions: { "io.modelcontextprotocol/tasks": {} } };

  /** One 2026-07-28 request, its headers as the revision requires; the answer's JSON. */
  async function request(
    w: RunningWarden,
    method: string,
    params: Record<string, unknown>,
    name?: string,
  ): Promise<{ status: number; body: { result?: Record<string, unknown>; error?: { code: number } } }> {
    const res = await fetch(`${w.url}/mcp/virt`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${CLIENT_TOKEN}`,
        "mcp-protocol-version": MODERN,
        "mcp-method": method,
        ...(name !== undefined ? { "mcp-name": name } : {}),
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
    });
    const texts = messageTexts(res.headers.get("content-type") ?? "", await res.text());
    return { status: res.status, body: JSON.parse(texts.at(-1) ?? "{}") };
  }

  it("a call that waits for a human answers resultType task; tasks/get carries the result once approved", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const discovered = await request(w, "server/discover", { _meta: meta({}) });
    expect(discovered.body.result?.capabilities).toMatchObject({
      extensions: { "io.modelcontextprotocol/tasks": {} },
    });
    const call = await request(
      w,
      "tools/call",
      { name: "stop_vm", arguments: { vm_name: "dev-web" }, _meta: meta(WITH_TASKS) },
      "stop_vm",
    );
    expect(call.status).toBe(200);
    expect(call.body.result).toMatchObject({ resultType: "task", status: "working" });
    expect(call.body.result?.statusMessage).toMatch(/approve/);
    const taskId = call.body.result?.taskId as string;
    expect(typeof call.body.result?.ttlMs).toBe("number");
    // The request has ended; the call still waits for its human.
    const p = await pendingOne(w);
    const working = await request(w, "tasks/get", { taskId, _meta: meta(WITH_TASKS) }, taskId);
    expect(working.body.result).toMatchObject({ resultType: "complete", taskId, status: "working" });
    expect(await w.api("approve", { id: p.id, callHash: p.callHash })).toEqual({ ok: true });
    let done: Record<string, unknown> | undefined;
    await waitFor(
      async () => {
        done = (await request(w, "tasks/get", { taskId, _meta: meta(WITH_TASKS) }, taskId)).body.result;
        return done?.status === "completed";
      },
      10_000,
      "the task completed",
    );
    expect(textOf(done?.result as CallToolResult)).toMatch(/dev-web/);
    expect(readState(state).calls.map((c) => c.tool)).toEqual(["stop_vm"]);
    // The header must name the task, as for any tasks/* request.
    const wrongName = await request(w, "tasks/get", { taskId, _meta: meta(WITH_TASKS) }, "another");
    expect(wrongName.body.error?.code).toBe(-32020);
  });

  it("a client without the extension waits on its request, as before; tasks/cancel withdraws an approval", async () => {
    const state = join(tempDir(), "virt.json");
    const w = await start({ virt: virtualizationServer("testing", state) });
    const plain = request(
      w,
      "tools/call",
      { name: "stop_vm", arguments: { vm_name: "dev-a" }, _meta: meta({}) },
      "stop_vm",
    );
    const p = await pendingOne(w);
    await w.api("deny", { id: p.id });
    expect((await plain).body.result).toMatchObject({ resultType: "complete", isError: true });
    const call = await request(
      w,
      "tools/call",
      { name: "stop_vm", arguments: { vm_name: "dev-b" }, _meta: meta(WITH_TASKS) },
      "stop_vm",
    );
    const taskId = call.body.result?.taskId as string;
    await pendingOne(w);
    const cancelled = await request(w, "tasks/cancel", { taskId, _meta: meta(WITH_TASKS) }, taskId);
    expect(cancelled.body.result).toEqual({ resultType: "complete" });
    await waitFor(async () => (await w.api("listApprovals")).length === 0, 10_000, "the approval withdrawn");
    const after = await request(w, "tasks/get", { taskId, _meta: meta(WITH_TASKS) }, taskId);
    expect(after.body.result).toMatchObject({ status: "cancelled" });
    expect(readState(state).calls).toEqual([]);
  });
});
