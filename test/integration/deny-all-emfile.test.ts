/**
 * The kill switch works when the warden has no file descriptor left: idle connections from any local
 * process can use them all up, and then no control request gets through while connections already open
 * still carry calls. `mcp-warden deny-all on` then signals the warden, which needs no descriptor.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  callTool,
  cliPath,
  type RunningWarden,
  readState,
  SEED_POLICY,
  startWarden,
  tempDir,
  textOf,
  tokenFile,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

/**
 * Below MIN_FILE_LIMIT even the smallest connection caps leave no descriptor over (at 128 and up they keep
 * the control API reachable: bounded.test.ts), so idle connections can still use them all up here.
 */
const DESCRIPTORS = 40;

let warden: RunningWarden | undefined;
const idle: Socket[] = [];
afterEach(async () => {
  for (const socket of idle.splice(0)) socket.destroy();
  await warden?.stop("SIGKILL");
  warden = undefined;
});

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
    const stateFile = join(tempDir(), "virt-state.json");
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", stateFile) },
      maxFiles: DESCRIPTORS,
    });
    const w = warden;
    const client = await w.client("virt");
    expect(w.output()).toContain("that limit is too low for the caps to keep the control API reachable");
    expect((await callTool(client, "stop_vm", { vm_name: "dev-web" })).isError).toBeFalsy();
    const stopsBefore = readState(stateFile).calls.filter((c) => c.tool === "stop_vm").length;

    // Idle connections until the warden can take no more: then the control API is out of reach.
    const port = Number(new URL(w.url).port);
    for (let i = 0; i < DESCRIPTORS * 2; i++) {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      idle.push(socket);
    }
    await waitFor(async () => !(await apiAnswers(w.url)), 20_000, "the control API to be out of reach");

    const run = spawnSync(
      process.execPath,
      [cliPath, "deny-all", "on", "--data-dir", w.dataDir, "--admin-token-file", tokenFile(ADMIN_TOKEN)],
      { encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("sent SIGUSR2");
    await waitFor(() => w.output().includes("Deny-all is on (SIGUSR2)"), 10_000, "Deny-all to engage");

    const refused = await callTool(client, "stop_vm", { vm_name: "dev-db" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Deny-all");
    expect(readState(stateFile).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(stopsBefore);
    const audit = readFileSync(join(w.dataDir, "audit.jsonl"), "utf8");
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
