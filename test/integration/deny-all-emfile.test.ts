/**
 * The kill switch works when the warden has no file descriptor left: idle connections from any local
 * process can use them all up, and then no control request gets through while connections already open
 * still carry calls. `mcp-warden deny-all on` then signals the warden, which needs no descriptor.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { connectionFetch } from "../helpers/fetch.js";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  callTool,
  cliPath,
  readState,
  SEED_POLICY,
  tempDir,
  textOf,
  tokenFile,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const DESCRIPTORS = 64;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** `mcp-warden serve` under a limit of DESCRIPTORS open files; resolves with its URL once it listens. */
async function serveWithFewDescriptors(
  dataDir: string,
): Promise<{ url: string; output: () => string; pid: number }> {
  const child = spawn(
    "sh",
    [
      "-c",
      `ulimit -n ${DESCRIPTORS}; exec "$0" "$@"`,
      process.execPath,
      cliPath,
      "serve",
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--token-file",
      tokenFile(CLIENT_TOKEN),
      "--admin-token-file",
      tokenFile(ADMIN_TOKEN),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  cleanup.push(() => child.kill("SIGKILL"));
  let output = "";
  const take = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  await waitFor(() => output.includes("control API:"), 20_000, "serve to start");
  const url = /MCP Warden listening on (http:\/\/\S+)/.exec(output)?.[1] ?? "";
  return { url, output: () => output, pid: child.pid as number };
}

/** Whether the control API answers on a new connection (fetch would reuse the agent's) within a second. */
function apiAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/getState`,
      {
        method: "POST",
        agent: false,
        timeout: 1_000,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end("{}");
  });
}

describe("Deny-all with the warden's descriptors used up", () => {
  it("engages through deny-all on (a signal), and a stop_vm on an open session is refused", async () => {
    const dataDir = tempDir();
    const stateFile = join(dataDir, "virt-state.json");
    writeFileSync(join(dataDir, "policy.json"), SEED_POLICY);
    writeFileSync(
      join(dataDir, "servers.json"),
      JSON.stringify({ mcpServers: { virt: virtualizationServer("testing", stateFile) } }),
    );
    const warden = await serveWithFewDescriptors(dataDir);
    const client = new Client({ name: "agent", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${warden.url}/mcp/virt`), {
        fetch: connectionFetch,
        requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
      }),
    );
    cleanup.push(() => void client.close());
    expect((await callTool(client, "stop_vm", { vm_name: "dev-web" })).isError).toBeFalsy();
    const stopsBefore = readState(stateFile).calls.filter((c) => c.tool === "stop_vm").length;

    // Idle connections until the warden can take no more: then the control API is out of reach.
    const idle: Socket[] = [];
    cleanup.push(() => {
      for (const s of idle) s.destroy();
    });
    const port = Number(new URL(warden.url).port);
    for (let i = 0; i < DESCRIPTORS * 2; i++) {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      idle.push(socket);
    }
    await waitFor(async () => !(await apiAnswers(warden.url)), 20_000, "the control API to be out of reach");

    const run = spawnSync(
      process.execPath,
      [cliPath, "deny-all", "on", "--data-dir", dataDir, "--admin-token-file", tokenFile(ADMIN_TOKEN)],
      { encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("sent SIGUSR2");
    await waitFor(() => warden.output().includes("Deny-all is on (SIGUSR2)"), 10_000, "Deny-all to engage");

    const refused = await callTool(client, "stop_vm", { vm_name: "dev-db" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Deny-all");
    expect(readState(stateFile).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(stopsBefore);
    const audit = readFileSync(join(dataDir, "audit.jsonl"), "utf8");
    expect(audit).toMatch(/"t":"control".*"action":"deny-all","on":true,"via":"SIGUSR2"/);
  }, 60_000);

  it("refuses to signal a pid that is not an mcp-warden serve", () => {
    const dataDir = tempDir();
    writeFileSync(
      join(dataDir, "runtime.json"),
      JSON.stringify({ url: "http://127.0.0.1:1", port: 1, pid: process.pid }),
    );
    const run = spawnSync(
      process.execPath,
      [cliPath, "deny-all", "on", "--data-dir", dataDir, "--admin-token-file", tokenFile(ADMIN_TOKEN)],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("is not an mcp-warden serve of this user; nothing sent");
  });
});
