/**
 * Secrets out of reach of other local users, each attack as a test against the real built CLI: no token on
 * a command line (/proc/<pid>/cmdline is world-readable), none on serve's output, the UI signed in by a
 * one-time code for a cookie session, a data folder another user could write refused, and `connect`
 * sending nothing to a process that took the warden's port.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  callTool,
  cliPath,
  type RunningWarden,
  startWarden,
  tempDir,
  tokenFile,
} from "../helpers/warden.js";

const NOBODY = 65_534;
const posix = process.platform !== "win32";

let warden: RunningWarden | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function runSync(...args: string[]) {
  return runWithInput("", ...args);
}

/** Runs the CLI with `input` on its standard input. */
function runWithInput(input: string, ...args: string[]) {
  // A command that wrongly keeps running (serve started after all) fails the test instead of hanging it.
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8", input, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI without blocking this process (a test's own HTTP server must keep answering). */
function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end();
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

function cmdline(pid: number | null | undefined): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
}

/** A request as a listener on the warden's port saw it. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** An HTTP server of "another user": records every request; `answer` decides the reply. */
async function impostor(
  port: number,
  answer: (req: IncomingMessage, body: string, reply: (status: number, body: string) => void) => void,
): Promise<{ seen: Seen[]; url: string }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      answer(req, body, (status, text) =>
        res.writeHead(status, { "content-type": "application/json" }).end(text),
      );
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function tokenSent(seen: readonly Seen[], tokens: readonly string[]): boolean {
  const text = JSON.stringify(seen);
  return tokens.some((t) => text.includes(t));
}

describe("no secret on a command line", () => {
  it("serve and connect refuse a secret given as a flag, and say where it goes instead", () => {
    const cases: [string[], RegExp][] = [
      [["serve", "--token", "t"], /--token would put a secret on the command line.*--token-file FILE/],
      [["serve", "--admin-token", "t"], /--admin-token would put a secret.*--admin-token-file FILE/],
      [
        ["serve", "--grant", "cursor=t"],
        /--grant cursor=… would put a token on the command line.*cursor=@FILE/,
      ],
      [
        ["connect", "virt", "--token=t"],
        /--token would put a secret.*--token-file FILE or set MCP_WARDEN_TOKEN/,
      ],
      [["deny-all", "on", "--admin-token", "t"], /--admin-token would put a secret.*--admin-token-file -/],
      [["ui", "--admin-token", "t"], /--admin-token would put a secret.*--admin-token-file -/],
    ];
    for (const [args, message] of cases) {
      const r = runSync(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(runSync("serve", "--help").stdout).not.toMatch(/--token T|--admin-token T/);
  });

  it("serve, deny-all and ui read a token from standard input when its file is -", async () => {
    warden = await startWarden({
      servers: {},
      extraArgs: ["--demo", "--grant", `piped=@${tokenFile("from-a-file")}`],
      adminTokenFile: "-",
      stdin: `${ADMIN_TOKEN}\n`,
    });
    const w = warden;
    expect(w.output()).toContain("admin token the one read from standard input");
    expect((await w.api("getState")).denyAll).toBe(false);
    expect(cmdline(w.process.pid)).not.toContain(ADMIN_TOKEN);

    const wrong = runWithInput(
      "not-the-admin-token",
      "deny-all",
      "on",
      "--data-dir",
      w.dataDir,
      "--admin-token-file",
      "-",
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("the control API answered 401");
    const on = runWithInput(
      `${ADMIN_TOKEN}\n`,
      "deny-all",
      "on",
      "--data-dir",
      w.dataDir,
      "--admin-token-file",
      "-",
    );
    expect(on.stderr).toBe("");
    expect(on.stdout).toBe("Deny-all is on\n");
    expect((await w.api("getState")).denyAll).toBe(true);
    const link = runWithInput(ADMIN_TOKEN, "ui", "--data-dir", w.dataDir, "--admin-token-file", "-");
    expect(link.stderr).toBe("");
    expect(link.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*code=/);
    await w.stop();

    // A client token piped to serve: a client with it is served, one with another token is not.
    warden = await startWarden({
      servers: {},
      extraArgs: ["--demo", "--grant", "piped=@-"],
      stdin: "piped-client-token",
    });
    const client = await warden.client("virtualization-demo", "piped-client-token");
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    await expect(warden.client("virtualization-demo", "piped-client-tokeN")).rejects.toThrow();
  });

  it("a secret from standard input is refused when it cannot be the only one, or is empty, or for connect", () => {
    const dir = tempDir();
    const cases: [string, string[], RegExp][] = [
      [
        "a\nb\n",
        ["serve", "--data-dir", dir, "--port", "0", "--token-file", "-", "--admin-token-file", "-"],
        /standard input holds one secret, but --token-file and --admin-token-file all read it/,
      ],
      [
        "",
        ["serve", "--data-dir", dir, "--port", "0", "--grant", "piped=@-"],
        /--grant piped read standard input, which was empty/,
      ],
      [
        CLIENT_TOKEN,
        ["connect", "virt", "--data-dir", dir, "--token-file", "-"],
        /connect's standard input carries the MCP messages.*MCP_WARDEN_TOKEN/,
      ],
    ];
    for (const [input, args, message] of cases) {
      const r = runWithInput(input, ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("a token file others can read is refused, naming the fix", () => {
    const file = tokenFile(CLIENT_TOKEN);
    chmodSync(file, 0o644);
    const r = runSync("serve", "--data-dir", tempDir(), "--port", "0", "--token-file", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the token file ${file} can be read by other users (mode 0644); chmod 600 ${file}`,
    );
  });

  it.runIf(posix)("a running serve's and connect's /proc/<pid>/cmdline hold no token", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const serveLine = cmdline(warden.process.pid);
    expect(serveLine).toContain("--token-file");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "connect", "virtualization-demo", "--data-dir", warden.dataDir],
      env: { ...(process.env as Record<string, string>), MCP_WARDEN_TOKEN: CLIENT_TOKEN },
    });
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    await client.connect(transport);
    // The bridge works with the token from its environment (so the test is about a real, working connect).
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    const connectLine = cmdline(transport.pid);
    expect(connectLine).toContain("connect virtualization-demo");
    const tokens = JSON.parse(readFileSync(join(warden.dataDir, "tokens.json"), "utf8")) as {
      admin: string;
      grants: Record<string, string>;
    };
    for (const secret of [CLIENT_TOKEN, ADMIN_TOKEN, tokens.admin, ...Object.values(tokens.grants)]) {
      expect(serveLine).not.toContain(secret);
      expect(connectLine).not.toContain(secret);
    }
    await client.close();
  });
});

describe("the UI signs in with a one-time code", () => {
  it("serve's output holds no admin token, only a sign-in link", async () => {
    warden = await startWarden({ servers: {} });
    const admin = (JSON.parse(readFileSync(join(warden.dataDir, "tokens.json"), "utf8")) as { admin: string })
      .admin;
    expect(warden.output()).toMatch(/open the UI: http:\/\/127\.0\.0\.1:\d+\/#code=\S+/);
    expect(warden.output()).not.toContain(ADMIN_TOKEN);
    expect(warden.output()).not.toContain(admin);
  });

  it("a code signs in once: the cookie plus binding authorize the API and events; a reused code is refused", async () => {
    warden = await startWarden({ servers: {} });
    const code = /#code=(\S+)/.exec(warden.output())?.[1] ?? "";
    const exchange = () =>
      fetch(`${warden?.url}/auth/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: decodeURIComponent(code) }),
      });
    const signedIn = await exchange();
    expect(signedIn.status).toBe(200);
    const { binding } = (await signedIn.json()) as { binding: string };
    const setCookie = signedIn.headers.get("set-cookie") ?? "";
    const port = new URL(warden.url).port;
    expect(setCookie).toMatch(new RegExp(`^mcp-warden-${port}=[^;]+; HttpOnly; SameSite=Strict; Path=/$`));
    const cookie = setCookie.split(";")[0] ?? "";

    const getState = (headers: Record<string, string>) =>
      fetch(`${warden?.url}/api/getState`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: "{}",
      });
    expect((await getState({ cookie, "x-mcp-warden-session": binding })).status).toBe(200);
    // Either half alone is nothing: a cookie that reached another local port is useless without the binding.
    expect((await getState({ cookie })).status).toBe(401);
    expect((await getState({ "x-mcp-warden-session": binding })).status).toBe(401);
    expect((await getState({ cookie, "x-mcp-warden-session": "guess" })).status).toBe(401);

    const events = new AbortController();
    const stream = await fetch(`${warden.url}/api/events`, {
      headers: { cookie, "x-mcp-warden-session": binding },
      signal: events.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    events.abort();

    const reused = await exchange();
    expect(reused.status).toBe(401);
    expect(await reused.text()).toMatch(/unknown, used or expired; run mcp-warden ui/);
    // The bearer admin token still works for the API, and `mcp-warden ui` prints a fresh link that signs in.
    expect((await getState({ authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    const ui = await run(["ui", "--data-dir", warden.dataDir, "--admin-token-file", tokenFile(ADMIN_TOKEN)]);
    expect(ui.stderr).toBe("");
    const fresh = /#code=(\S+)/.exec(ui.stdout)?.[1] ?? "";
    const again = await fetch(`${warden.url}/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: decodeURIComponent(fresh) }),
    });
    expect(again.status).toBe(200);
  });
});

describe.runIf(posix)("a data folder another user could write is refused", () => {
  function serveOn(dir: string) {
    return runSync("serve", "--data-dir", dir, "--port", "0");
  }

  it("a folder writable by others, or owned by another uid", () => {
    const open = tempDir();
    chmodSync(open, 0o777);
    const r = serveOn(open);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `the data folder ${open} can be written by other users (mode 0777); chmod go-w ${open}`,
    );

    const theirs = tempDir();
    chownSync(theirs, NOBODY, NOBODY);
    const t = serveOn(theirs);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`the data folder ${theirs} belongs to uid ${NOBODY}, not to you`);
    expect(t.stderr).toContain(`chown -R ${process.getuid?.()} ${theirs}`);
  });

  it("a servers.json writable by the group, or a tokens.json another uid planted", () => {
    const dir = tempDir();
    const servers = join(dir, "servers.json");
    writeFileSync(servers, JSON.stringify({ mcpServers: {} }));
    chmodSync(servers, 0o664);
    const r = serveOn(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`servers.json ${servers} can be written by other users (mode 0664)`);

    chmodSync(servers, 0o600);
    const tokens = join(dir, "tokens.json");
    writeFileSync(tokens, JSON.stringify({ admin: "hers", grants: { default: "hers" } }), { mode: 0o600 });
    chownSync(tokens, NOBODY, NOBODY);
    const t = serveOn(dir);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`tokens.json ${tokens} belongs to uid ${NOBODY}`);
  });

  it("init, which starts a server as servers.json says, refuses a servers.json others may write", () => {
    const dir = tempDir();
    const servers = join(dir, "servers.json");
    writeFileSync(servers, JSON.stringify({ mcpServers: { virt: { command: "true" } } }));
    chmodSync(servers, 0o666);
    const r = runSync("init", "--server", "virt", "--data-dir", dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`servers.json ${servers} can be written by other users (mode 0666)`);
  });

  it("a folder made on first run is user-only, and so are the files serve writes", async () => {
    // (The helper writes servers.json itself; every other file here is serve's.)
    warden = await startWarden({ servers: {} });
    const dir = warden.dataDir;
    const modes = ["", "tokens.json", "warden.key", "policy.json", "runtime.json", "audit.jsonl"].map(
      (name) => (statSync(join(dir, name)).mode & 0o777).toString(8),
    );
    expect(modes).toEqual(["700", "600", "600", "600", "600", "600"]);
  });
});

describe("connect sends nothing to a process that is not the warden", () => {
  /** A warden that crashed: its runtime.json is left behind, naming its port and its dead pid. */
  async function crashedWarden(): Promise<{ dataDir: string; port: number; runtime: string }> {
    const w = await startWarden({ servers: {} });
    await w.stop("SIGKILL");
    const runtime = join(w.dataDir, "runtime.json");
    const { port } = JSON.parse(readFileSync(runtime, "utf8")) as { port: number };
    return { dataDir: w.dataDir, port, runtime };
  }

  it("a stale runtime.json (dead pid) is not trusted: not running, and the port's new owner hears nothing", async () => {
    const crashed = await crashedWarden();
    const fake = await impostor(crashed.port, (_req, _body, reply) => reply(200, "{}"));
    const r = await run(["connect", "virt", "--data-dir", crashed.dataDir], {
      MCP_WARDEN_TOKEN: CLIENT_TOKEN,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the warden is not running \(.*runtime\.json is left from one that stopped\)/);
    expect(fake.seen).toEqual([]);
  });

  it("a live pid but no proof (the pid was reused): connect refuses, and no token reaches the impostor", async () => {
    const crashed = await crashedWarden();
    const runtime = JSON.parse(readFileSync(crashed.runtime, "utf8")) as Record<string, unknown>;
    writeFileSync(crashed.runtime, JSON.stringify({ ...runtime, pid: process.pid }));
    const fake = await impostor(crashed.port, (_req, _body, reply) =>
      reply(200, JSON.stringify({ proof: "00".repeat(32) })),
    );
    const tokens = JSON.parse(readFileSync(join(crashed.dataDir, "tokens.json"), "utf8")) as {
      grants: Record<string, string>;
    };
    const r = await run(["connect", "virt", "--data-dir", crashed.dataDir], {
      MCP_WARDEN_TOKEN: CLIENT_TOKEN,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /is not verified as this data folder's warden \(its proof is wrong\); no token was sent/,
    );
    expect(fake.seen.map((s) => `${s.method} ${s.url.replace(/=.*/, "=…")}`)).toEqual([
      "GET /.well-known/mcp-warden?nonce=…",
    ]);
    expect(fake.seen.some((s) => s.headers.authorization !== undefined)).toBe(false);
    expect(tokenSent(fake.seen, [CLIENT_TOKEN, ...Object.values(tokens.grants)])).toBe(false);
  });

  it("an impostor relaying the challenge to the real warden fails: the proof names the real warden's port", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const real = new URL(warden.url);
    const fake = await impostor(0, (req, _body, reply) => {
      // Relays the challenge as the real warden's own client would send it.
      request(
        { host: real.hostname, port: real.port, path: req.url, headers: { host: real.host } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d.toString();
          });
          res.on("end", () => reply(res.statusCode ?? 500, text));
        },
      ).end();
    });
    const r = await run(
      [
        "connect",
        "virtualization-demo",
        "--url",
        `${fake.url}/mcp/virtualization-demo`,
        "--data-dir",
        warden.dataDir,
      ],
      { MCP_WARDEN_TOKEN: CLIENT_TOKEN },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/its proof is wrong\); no token was sent/);
    expect(fake.seen).toHaveLength(1);
    expect(tokenSent(fake.seen, [CLIENT_TOKEN])).toBe(false);
  });

  it("a running connect whose warden crashed sends nothing to the process that takes its port", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const port = Number(new URL(warden.url).port);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "connect", "virtualization-demo", "--data-dir", warden.dataDir],
      env: { ...(process.env as Record<string, string>), MCP_WARDEN_TOKEN: CLIENT_TOKEN },
    });
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    await client.connect(transport);
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    await warden.stop("SIGKILL");
    warden = undefined;
    const fake = await impostor(port, (_req, _body, reply) =>
      reply(200, JSON.stringify({ pid: process.pid, proof: "00".repeat(32) })),
    );
    await expect(callTool(client, "list_vms")).rejects.toThrow(
      /is not verified as this data folder's warden \(its proof is wrong\); no token was sent/,
    );
    expect(fake.seen.length).toBeGreaterThan(0);
    expect(fake.seen.every((s) => s.url.startsWith("/.well-known/mcp-warden?nonce="))).toBe(true);
    expect(tokenSent(fake.seen, [CLIENT_TOKEN])).toBe(false);
    await client.close();
  });

  it("a running connect follows its warden through a restart on the same port: proven again, it calls on", async () => {
    warden = await startWarden({ servers: {}, extraArgs: ["--demo"] });
    const { dataDir } = warden;
    const port = new URL(warden.url).port;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "connect", "virtualization-demo", "--data-dir", dataDir],
      env: { ...(process.env as Record<string, string>), MCP_WARDEN_TOKEN: CLIENT_TOKEN },
    });
    const client = new Client({ name: "stdio-client", version: "1.0.0" });
    await client.connect(transport);
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    await warden.stop();
    warden = await startWarden({ servers: {}, dataDir, extraArgs: ["--demo", "--port", port] });
    expect((await callTool(client, "list_vms")).isError).toBeFalsy();
    await client.close();
  });

  it("--url to a warden whose data folder has no key is refused before anything is sent", async () => {
    const fake = await impostor(0, (_req, _body, reply) => reply(200, "{}"));
    const r = await run(["connect", "virt", "--url", `${fake.url}/mcp/virt`, "--data-dir", tempDir()], {
      MCP_WARDEN_TOKEN: CLIENT_TOKEN,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot verify the warden at http:\/\/127\.0\.0\.1:\d+: .* has no warden\.key/);
    expect(fake.seen).toEqual([]);
  });
});
