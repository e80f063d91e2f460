/**
 * `mcp-warden wrap` and `unwrap` as a user runs them, and the whole path end to end: a Cursor config whose
 * server is the stand-in is wrapped, a starter policy written, `mcp-warden serve` started on the same data
 * folder, and an SDK client connected exactly as the rewritten config says calls list_vms through the warden.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { dataPaths } from "../../main/core/config/data-dir.js";
import {
  callTool,
  cliPath,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
} from "../helpers/warden.js";

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

let warden: RunningWarden | undefined;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await warden?.stop();
  warden = undefined;
});

describe("mcp-warden wrap and unwrap", () => {
  it("wraps, does nothing the second time, and unwraps byte for byte", () => {
    const dir = tempDir("wrap-cli-");
    const original =
      '{\n  "mcpServers": {\n    "virt": { "command": "python", "args": ["-m", "virtualization_mcp"] }\n  }\n}\n';
    const config = write(join(dir, ".cursor", "mcp.json"), original);
    const dataDir = join(dir, "data");
    const first = run(["wrap", "--client", "cursor", "--config", config, "--data-dir", dataDir]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Cursor: ${config}`);
    expect(first.stdout).toMatch(/moved\s+mcpServers\.virt → warden server "virt"/);
    expect(first.stdout).toMatch(/backup: .*data\/backups\/cursor-.*-mcp\.json/);
    expect(first.stdout).toContain("Start the warden (mcp-warden serve, or the tray app)");
    const wrapped = readFileSync(config, "utf8");
    expect(wrapped).toContain('"url": "http://127.0.0.1:17430/mcp/virt"');

    const second = run(["wrap", "--client", "cursor", "--config", config, "--data-dir", dataDir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already wrapped\s+mcpServers\.virt/);
    expect(second.stdout).toContain("Nothing to wrap; no file was changed.");
    expect(readFileSync(config, "utf8")).toBe(wrapped);

    const undone = run(["unwrap", "--client", "cursor", "--data-dir", dataDir]);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain("restored byte for byte");
    expect(undone.stdout).toContain("servers removed from the warden: virt");
    expect(undone.stdout).toContain('token "cursor" revoked');
    expect(readFileSync(config, "utf8")).toBe(original);
  });

  it("warns when the wrapped file is in a git repository, where the token could be committed", () => {
    const repo = tempDir("repo-");
    mkdirSync(join(repo, ".git"));
    const config = write(
      join(repo, ".vscode", "mcp.json"),
      '{ "servers": { "a": { "type": "stdio", "command": "x" } } }',
    );
    const r = run(["wrap", "--client", "vscode", "--config", config, "--data-dir", join(repo, "data")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning:  this file is in the git repository ${repo}`);
  });

  it("finds the client's config at its documented path under the user's home", () => {
    const home = tempDir("home-");
    const config = write(
      join(home, ".claude.json"),
      '{ "mcpServers": { "a": { "type": "stdio", "command": "x" } } }',
    );
    const env = { ...process.env, HOME: home, USERPROFILE: home };
    const r = run(["wrap", "--client", "claude-code", "--data-dir", join(home, "data")], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Claude Code: ${config}`);
    expect(JSON.parse(readFileSync(config, "utf8"))).toMatchObject({ mcpServers: { a: { type: "http" } } });
  });

  it("points Claude Desktop at the bridge: this node and this CLI, by absolute path", () => {
    const dir = tempDir("wrap-cli-");
    const config = write(
      join(dir, "claude_desktop_config.json"),
      '{"mcpServers": {"v": {"command": "python"}}}',
    );
    expect(
      run(["wrap", "--client", "claude-desktop", "--config", config, "--data-dir", join(dir, "d")]).code,
    ).toBe(0);
    const entry = (JSON.parse(readFileSync(config, "utf8")) as { mcpServers: { v: Record<string, unknown> } })
      .mcpServers.v;
    expect(entry).toMatchObject({
      command: process.execPath,
      args: [cliPath, "connect", "v", "--data-dir", join(dir, "d")],
      env: { MCP_WARDEN_TOKEN: expect.any(String) },
    });
  });

  it("gives one-line errors with exit code 2", () => {
    const dir = tempDir("wrap-cli-");
    const bad = run(["wrap", "--client", "notepad"]);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toMatch(/--client must be one of claude-desktop, cursor, claude-code, vscode/);
    const missing = run([
      "wrap",
      "--client",
      "cursor",
      "--config",
      join(dir, "nope.json"),
      "--data-dir",
      dir,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT/);
    const home = tempDir("home-");
    const none = run(["wrap", "--client", "cursor", "--data-dir", dir], { ...process.env, HOME: home });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /no Cursor config found \(looked in .*\.cursor\/mcp\.json.*\); pass --config PATH/,
    );
    const garbled = write(join(dir, "mcp.json"), '{ "mcpServers": { ');
    expect(run(["wrap", "--client", "cursor", "--config", garbled, "--data-dir", dir]).stderr).toMatch(
      /mcp\.json: line 1, column 19: expected a property name/,
    );
    expect(run(["wrap", "--client", "cursor", "--config", garbled, "--url", "nope"]).stderr).toMatch(
      /--url must be/,
    );
    expect(run(["unwrap", "--client", "vscode", "--data-dir", dir])).toMatchObject({
      code: 0,
      stdout: "VS Code is not wrapped: nothing to put back; no file was changed.\n",
    });
  });
});

describe("end to end", () => {
  it("a wrapped Cursor config reaches the stand-in through the warden, under the starter policy", async () => {
    const dir = tempDir("wrap-e2e-");
    const stateFile = join(dir, "virt-state.json");
    const original = `${JSON.stringify(
      {
        mcpServers: { virt: { ...virtualizationServer("testing", stateFile), autoApprove: [] } },
        theme: "dark",
      },
      null,
      2,
    )}\n`;
    const config = write(join(dir, "project", ".cursor", "mcp.json"), original);
    const dataDir = join(dir, "data");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    expect(
      run(["wrap", "--client", "cursor", "--config", config, "--data-dir", dataDir, "--url", url]).code,
    ).toBe(0);
    expect(run(["init", "--server", "virt", "--data-dir", dataDir]).code).toBe(0);

    const servers = JSON.parse(readFileSync(dataPaths(dataDir).servers, "utf8")) as {
      mcpServers: Record<string, unknown>;
    };
    warden = await startWarden({ dataDir, servers: servers.mcpServers, extraArgs: ["--port", String(port)] });
    expect(warden.url).toBe(url);

    const entry = (
      JSON.parse(readFileSync(config, "utf8")) as {
        mcpServers: { virt: { url: string; headers: Record<string, string> } };
      }
    ).mcpServers.virt;
    const client = new Client({ name: "cursor-as-configured", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers: entry.headers } }),
    );
    clients.push(client);

    const listed = await callTool(client, "list_vms");
    expect(listed.isError).toBeFalsy();
    expect(textOf(listed)).toContain("dev-web");
    const deleted = await callTool(client, "delete_vm", { vm_name: "dev-web" });
    expect(deleted.isError).toBe(true);
    expect(textOf(deleted)).toMatch(/refused this call to delete_vm: Deletes a VM and its disks for good/);

    expect(readState(stateFile).calls.map((c) => c.tool)).toEqual(["list_vms"]);
    const calls = await warden.api("listCalls", {});
    expect(calls.map((c) => [c.client, c.tool, c.status])).toEqual([
      ["cursor", "delete_vm", "denied"],
      ["cursor", "list_vms", "allowed"],
    ]);

    await warden.stop();
    warden = undefined;
    expect(run(["unwrap", "--client", "cursor", "--data-dir", dataDir]).code).toBe(0);
    expect(readFileSync(config, "utf8")).toBe(original);
  });
});
