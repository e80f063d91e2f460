/**
 * The CLI as a new user meets it: `--help` for every command, `--version`, one-line errors that point at
 * `--help`, and the first-run paths (init after `serve --demo`, wrap next to a running warden, unwrap twice,
 * `check` and `decide` output, `connect` closing quietly). Real processes throughout: the built CLI, a real
 * `serve`, the real MCP SDK client.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_TOKEN,
  cliPath,
  type RunningWarden,
  repoRoot,
  SEED_POLICY,
  startWarden,
  tempDir,
  tokenFile,
  virtualizationServer,
  waitFor,
} from "./helpers/warden.js";

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(tempDir("cli-help-"), name);
  writeFileSync(path, text);
  return path;
}

const COMMANDS = ["serve", "connect", "check", "decide", "schema", "init", "wrap", "unwrap", "audit", "team"];
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("help and version", () => {
  it.each(COMMANDS)("%s --help and -h print its usage, options and descriptions, exit 0", (name) => {
    for (const flag of ["--help", "-h"]) {
      const r = run(name, flag);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")[0]).toMatch(new RegExp(`^usage: mcp-warden ${name}\\b`));
      expect(r.stdout).toMatch(/options:\n/);
      expect(r.stdout).toMatch(/ {2}-h, --help\s+show this help/);
    }
    // Help wins over whatever else is on the line, even an unknown option or a missing argument.
    expect(run(name, "--bogus", "--help")).toMatchObject({ code: 0, stderr: "" });
    expect(run("help", name).stdout).toBe(run(name, "--help").stdout);
  });

  it("every option of every command has a description", () => {
    for (const name of COMMANDS) {
      const help = run(name, "--help").stdout;
      const rows = help.split("\n").filter((line) => /^ {2}(-|<)/.test(line));
      expect(rows.length, name).toBeGreaterThan(0);
      for (const row of rows) expect(row, `${name}: ${row}`).toMatch(/^ {2}\S.*\S {2,}\S/);
    }
    expect(run("serve", "--help").stdout).toMatch(/--demo\s+add the stand-in server "virtualization-demo"/);
    expect(run("decide", "--help").stdout).toMatch(/^usage: mcp-warden decide --policy FILE --tool NAME/);
    expect(run("connect", "--help").stdout).toMatch(/^usage: mcp-warden connect <server>/);
  });

  it("top-level help lists each command with one line about it", () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = run(...args);
      expect(r.code).toBe(0);
      for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +\\S.{10,}$`, "m"));
      expect(r.stdout).toContain("mcp-warden --version");
    }
    const none = run();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^mcp-warden: no command given\n/);
  });

  it("--version and -v print the version from package.json", () => {
    expect(run("--version")).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(run("-v")).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});

describe("mistakes on the command line", () => {
  it.each(COMMANDS)("%s: an unknown option is one line naming it, pointing at --help, exit 2", (name) => {
    const r = run(name, "--frobnicate");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `mcp-warden: ${name}: unknown option "--frobnicate"; see mcp-warden ${name} --help\n`,
    );
  });

  it("missing values, values given to flags, missing and extra arguments: one line each, never the parser's text", () => {
    const cases: [string[], string][] = [
      [["serve", "--port"], "serve: --port N needs a value"],
      [["serve", "--port", "--demo"], "serve: --port N needs a value"],
      [["serve", "--demo=yes"], "serve: --demo takes no value"],
      [["connect"], "connect: missing <server>"],
      [["connect", "a", "b"], 'connect: unexpected argument "b"'],
      [["check"], "check: missing <policy.json>"],
      [["schema", "extra"], 'schema: takes no arguments, not "extra"'],
      [["wrap", "--client"], "wrap: --client CLIENT needs a value"],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toBe(`mcp-warden: ${message}; see mcp-warden ${args[0]} --help\n`);
    }
    expect(run("frobnicate")).toMatchObject({
      code: 2,
      stderr: 'mcp-warden: unknown command "frobnicate"; see mcp-warden --help\n',
    });
    expect(run("--frobnicate").stderr).toBe(
      'mcp-warden: unknown option "--frobnicate"; see mcp-warden --help\n',
    );
  });
});

describe("check and decide", () => {
  it("check gives the line and column of a JSON syntax error", () => {
    const trailing = file("trailing.json", '{ "version": "1",\n  "default": "deny",\n  "tools": {},\n}\n');
    const r = run("check", trailing);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${trailing}:4:1: not valid JSON: expected a property name in double quotes, found "}" (a trailing comma?)\n`,
    );
    const garbage = file("g.json", "{ not json");
    expect(run("check", garbage).stdout).toBe(
      `${garbage}:1:3: not valid JSON: expected a property name in double quotes, found "n"\n`,
    );
    const comment = file("c.json", '{\n  "version": "1", // mine\n  "default": "deny" }');
    expect(run("check", comment).stdout).toBe(
      `${comment}:2:19: not valid JSON: expected a property name in double quotes, found "/" (JSON has no comments)\n`,
    );
    expect(run("check", file("e.json", "")).stdout).toMatch(
      /e\.json:1:1: not valid JSON: the file is empty\n$/,
    );
  });

  it("decide shows the seed policy's stop_vm as allowed with its limit", () => {
    const policy = file("seed.json", SEED_POLICY);
    const r = run("decide", "--policy", policy, "--tool", "stop_vm", "--args", '{"vm_name":"dev-web"}');
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "allow (limit stop_vm_rate: 10 per minute per grant, 10 left)",
        '  rule:      tools["stop_vm"]',
        "  reason:    allowed by policy",
        "",
      ].join("\n"),
    );
    const stop = run("decide", "--policy", policy, "--tool", "vm_management", "--args", '{"action":"stop"}');
    expect(stop.stdout).toMatch(/^allow \(limit stop_vm_rate: 10 per minute per grant, 10 left\)\n/);
    expect(stop.stdout).toContain("  operation: stop_vm\n");
    expect(run("decide", "--policy", policy, "--tool", "delete_vm").stdout).toMatch(
      /^deny: no rule allows this tool\n {2}rule: {6}default\n$/,
    );
    const json = JSON.parse(run("decide", "--policy", policy, "--tool", "stop_vm", "--json").stdout);
    expect(json).toMatchObject({
      verdict: "allow",
      rule: 'tools["stop_vm"]',
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant", left: 10 }],
    });
  });
});

describe("first run", () => {
  it("init --server virtualization-demo reaches the stand-in that serve --demo runs", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const r = run("init", "--server", "virtualization-demo", "--data-dir", warden.dataDir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Wrote a starter policy for "virtualization-demo" \(\d+ tools\)/m);
    expect(r.stdout).toMatch(/virtualization-demo\/delete_vm\s+deny\s+destructive, critical/);
    const written = JSON.parse(readFileSync(join(warden.dataDir, "policy.json"), "utf8"));
    expect(written.tools["virtualization-demo/delete_vm"]).toMatchObject({ action: "deny" });

    const unknown = run("init", "--server", "nope", "--data-dir", warden.dataDir, "--force");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /no server "nope" in .*servers\.json \(it has none\); add it there, or use --server virtualization-demo/,
    );
  });

  it("wrap next to a running warden says it picks the change up, and it does", async () => {
    const dir = tempDir("cli-wrap-");
    warden = await startWarden({ servers: {} });
    mkdirSync(join(dir, ".cursor"));
    const config = join(dir, ".cursor", "mcp.json");
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { virt: virtualizationServer("testing", join(dir, "state.json")) } }),
    );
    const r = run("wrap", "--client", "cursor", "--config", config, "--data-dir", warden.dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("Restart the warden");
    expect(r.stdout).toContain(
      `The running warden (pid ${warden.process.pid}, ${warden.url}) picks up the moved servers and Cursor's ` +
        "token at once (it watches servers.json and tokens.json): just restart Cursor.",
    );
    const w = warden;
    await waitFor(
      async () =>
        (await w.api("listServers")).some((s) => s.name === "virt") &&
        (await w.api("listGrants")).some((g) => g.name === "cursor"),
      20_000,
      "the running warden to pick up the wrapped server and token",
    );
  });

  it("a second unwrap says plainly that the client is not wrapped", () => {
    const dir = tempDir("cli-unwrap-");
    const config = join(dir, "mcp.json");
    writeFileSync(config, '{ "mcpServers": { "a": { "command": "x" } } }\n');
    const dataDir = join(dir, "data");
    expect(run("wrap", "--client", "cursor", "--config", config, "--data-dir", dataDir).code).toBe(0);
    expect(run("unwrap", "--client", "cursor", "--data-dir", dataDir).code).toBe(0);
    const again = run("unwrap", "--client", "cursor", "--data-dir", dataDir);
    expect(again).toMatchObject({
      code: 0,
      stdout: "Cursor is not wrapped: nothing to put back; no file was changed.\n",
      stderr: "",
    });
    const named = run("unwrap", "--client", "cursor", "--config", config, "--data-dir", dataDir);
    expect(named.stdout).toBe(
      `Cursor is not wrapped in ${config}: nothing to put back; no file was changed.\n`,
    );
    expect(`${again.stdout}${named.stdout}`).not.toMatch(/wrapped\.json/);
  });

  it("connect closes without an error line when the client closes normally", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        cliPath,
        "connect",
        "virtualization-demo",
        "--data-dir",
        warden.dataDir,
        "--token-file",
        tokenFile(CLIENT_TOKEN),
      ],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    await client.connect(transport);
    expect((await client.listTools()).tools.some((t) => t.name === "list_vms")).toBe(true);
    // close() ends the bridge's stdin and resolves once the process has exited and its output is read.
    await client.close();
    expect(stderr).toBe("");
  });
});
