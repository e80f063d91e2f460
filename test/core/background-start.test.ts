/**
 * The tray app's start: the core listens at once while upstreams connect in the background. A server
 * that never answers initialize holds neither the port nor a quit.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Runtime, startRuntime } from "../../main/core/runtime.js";
import { tempDir } from "../helpers/warden.js";

const running: Runtime[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close().catch(() => {});
});

/** A data folder whose one server starts, reads stdin and never answers (its pid written to a file). */
function slowServerFolder(): { dataDir: string; pidFile: string } {
  const dataDir = tempDir("warden-slow-");
  const pidFile = join(dataDir, "slow.pid");
  const script = `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.stdin.resume();`;
  writeFileSync(
    join(dataDir, "servers.json"),
    JSON.stringify({ mcpServers: { slow: { command: process.execPath, args: ["-e", script] } } }),
    { mode: 0o600 },
  );
  return { dataDir, pidFile };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("starting with upstreams in the background", () => {
  it("listens and answers at once while a server never answers initialize", async () => {
    const { dataDir } = slowServerFolder();
    const started = Date.now();
    const runtime = await startRuntime({ dataDir, port: 0, connectInBackground: true });
    running.push(runtime);
    // The first attempt's timeout is 30 s: start did not wait for it.
    expect(Date.now() - started).toBeLessThan(10_000);
    const { admin } = JSON.parse(readFileSync(join(dataDir, "tokens.json"), "utf8")) as { admin: string };
    const asked = Date.now();
    const response = await fetch(`${runtime.http.url}/api/listServers`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(await response.json()).toEqual([expect.objectContaining({ name: "slow", state: "starting" })]);
  });

  it("a quit while the server is still in its handshake stops it at once", async () => {
    const { dataDir, pidFile } = slowServerFolder();
    const runtime = await startRuntime({ dataDir, port: 0, connectInBackground: true });
    let pid = 0;
    const deadline = Date.now() + 10_000;
    while (!pid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      pid = Number(spawnSync("cat", [pidFile]).stdout.toString() || 0);
    }
    expect(alive(pid)).toBe(true);
    const closing = Date.now();
    await runtime.close();
    await runtime.warden.firstAttempts();
    expect(Date.now() - closing).toBeLessThan(5_000);
    const gone = Date.now() + 5_000;
    while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });

  it("without the option, start still waits for each server's first attempt", async () => {
    const dataDir = tempDir("warden-wait-");
    writeFileSync(
      join(dataDir, "servers.json"),
      JSON.stringify({
        mcpServers: { gone: { command: join(dataDir, "no-such-server") } },
      }),
      { mode: 0o600 },
    );
    const runtime = await startRuntime({ dataDir, port: 0 });
    running.push(runtime);
    expect(runtime.warden.state().servers[0]?.state).not.toBe("starting");
  });
});
