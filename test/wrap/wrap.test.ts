/**
 * Wrapping real config files in temporary folders, one per client format (with comments, unknown fields
 * and entries already wrapped): the rewritten file parses and reaches the warden, the servers file gains
 * the servers, a second wrap changes no byte, and unwrap restores the original byte for byte.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Place, wardenServerOf } from "../../main/core/clients/client-configs.js";
import { findClientConfigs, unwrapClient, wrapClient } from "../../main/core/clients/client-wrap.js";
import { nodeAt, parseJsonc } from "../../main/core/clients/jsonc.js";
import { dataPaths, type Tokens } from "../../main/core/config/data-dir.js";
import type { ClientId } from "../../shared/clients.js";
import { tempDir } from "../helpers/warden.js";

const WARDEN_URL = "http://127.0.0.1:17430";
const BRIDGE = { command: "/usr/local/bin/node", args: ["/opt/mcp-warden/dist/cli.js"] };

const CLAUDE_DESKTOP = `{
  "globalShortcut": "Alt+Space",
  "mcpServers": {
    "virtualization": {
      "command": "python",
      "args": ["-m", "virtualization_mcp"],
      "env": { "VBOX_USER_HOME": "/Users/me/VirtualBox VMs" }
    },
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "guarded": {
      "command": "/usr/local/bin/node",
      "args": ["/opt/mcp-warden/dist/cli.js", "connect", "guarded", "--data-dir", "/elsewhere"],
      "env": { "MCP_WARDEN_TOKEN": "a-token-from-before" }
    }
  },
  "preferences": { "menuBarEnabled": true }
}
`;

/** Cursor's file, with an entry already pointing at the warden (by port) and one using a variable. */
const CURSOR = `{
  "mcpServers": {
    "virt": { "command": "node", "args": ["server.js", "--mode", "testing"], "autoApprove": ["list_vms"] },
    "linear": {
      "url": "https://mcp.linear.app/mcp",
      "headers": { "Authorization": "Bearer lin_123" }
    },
    "through-warden": { "url": "http://127.0.0.1:17430/mcp/virt", "headers": { "Authorization": "Bearer old" } },
    "off": { "command": "node", "args": ["off.js"], "disabled": true },
    "secret": { "command": "npx", "args": ["srv"], "env": { "KEY": "\${env:MY_KEY}" } }
  },
  "cursor.someFutureField": [1, 2, 3]
}
`;

/** ~/.claude.json: user-level servers, project-level servers (one with the same name), lots else. */
const CLAUDE_CODE = `{
  "numStartups": 42,
  "theme": "dark",
  "mcpServers": {
    "github": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_user" }
    }
  },
  "projects": {
    "/home/me/app": {
      "allowedTools": [],
      "mcpServers": {
        "db": { "type": "sse", "url": "http://localhost:9000/sse" },
        "github": {
          "type": "stdio",
          "command": "npx",
          "args": ["-y", "@modelcontextprotocol/server-github"],
          "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_project" }
        }
      },
      "hasTrustDialogAccepted": true
    },
    "/home/me/empty": { "mcpServers": {} }
  },
  "userID": "0123abcd"
}
`;

/** VS Code's user settings.json: JSONC with comments and trailing commas, four-space indentation. */
const VSCODE_SETTINGS = `{
    // Appearance
    "workbench.colorTheme": "Default Dark Modern",
    "mcp": {
        "servers": {
            // Virtualization on this machine
            "virt": {
                "type": "stdio",
                "command": "python",
                "args": ["-m", "virtualization_mcp"],
            },
            /* GitHub asks for its token through an input */
            "github": {
                "type": "http",
                "url": "https://api.githubcopilot.com/mcp/",
                "headers": { "Authorization": "Bearer \${input:github-token}" },
            },
        },
    },
    "editor.tabSize": 4,
}
`;

/** A workspace's .vscode/mcp.json, with inputs. */
const VSCODE_WORKSPACE = `{
  "inputs": [{ "type": "promptString", "id": "api-key", "description": "API key", "password": true }],
  "servers": {
    "memory": { "type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }
  }
}
`;

interface Setup {
  dataDir: string;
  config: string;
}

function setup(relative: string, text: string): Setup {
  const root = tempDir("wrap-");
  const config = join(root, relative);
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, text);
  return { dataDir: join(root, "data"), config };
}

function wrap(client: ClientId, { dataDir, config }: Setup) {
  return wrapClient({ client, configPath: config, dataDir, wardenUrl: WARDEN_URL, bridge: BRIDGE });
}

function read(path: string): string {
  return readFileSync(path, "utf8");
}

function serversOf(dataDir: string): Record<string, unknown> {
  return (JSON.parse(read(dataPaths(dataDir).servers)) as { mcpServers: Record<string, unknown> }).mcpServers;
}

function tokensOf(dataDir: string): Tokens {
  return JSON.parse(read(dataPaths(dataDir).tokens)) as Tokens;
}

/** The entry at a path in the client's file, as it is now. */
function entryAt(config: string, path: string[]): Record<string, unknown> {
  return nodeAt(parseJsonc(read(config)), path)?.value as Record<string, unknown>;
}

/** Every file of the data folder and the client's file, to prove a second wrap wrote nothing. */
function snapshot({ dataDir, config }: Setup): Record<string, string> {
  const paths = dataPaths(dataDir);
  return Object.fromEntries(
    [config, paths.servers, paths.tokens, join(dataDir, "wrapped.json")].map((p) => [p, read(p)]),
  );
}

/** Wrap, wrap again (no-op), unwrap (byte for byte): the round trip every client format must pass. */
function roundTrip(client: ClientId, s: Setup, original: string): void {
  const before = snapshot(s);
  expect(wrap(client, s)).toMatchObject({ changed: false });
  expect(snapshot(s)).toEqual(before);
  const undone = unwrapClient({ client, dataDir: s.dataDir });
  expect(undone.exact).toBe(true);
  expect(read(s.config)).toBe(original);
  expect(serversOf(s.dataDir)).toEqual({});
  expect(tokensOf(s.dataDir).grants[client]).toBeUndefined();
}

describe("Claude Desktop", () => {
  it("moves its stdio servers and points it at the bridge, leaving the wrapped one alone", () => {
    const s = setup("Claude/claude_desktop_config.json", CLAUDE_DESKTOP);
    const result = wrap("claude-desktop", s);
    expect(result.entries).toEqual([
      { label: "mcpServers.virtualization", outcome: "moved", server: "virtualization" },
      { label: "mcpServers.filesystem", outcome: "moved", server: "filesystem" },
      { label: "mcpServers.guarded", outcome: "already-wrapped", server: "guarded" },
    ]);
    expect(result.backup && read(result.backup)).toBe(CLAUDE_DESKTOP);

    const token = tokensOf(s.dataDir).grants["claude-desktop"];
    expect(token).toMatch(/^[\w-]{20,}$/);
    expect(entryAt(s.config, ["mcpServers", "virtualization"])).toEqual({
      command: "/usr/local/bin/node",
      args: ["/opt/mcp-warden/dist/cli.js", "connect", "virtualization", "--data-dir", s.dataDir],
      env: { MCP_WARDEN_TOKEN: token },
    });
    const wrapped = parseJsonc(read(s.config)).value as Record<string, unknown>;
    expect(wrapped.globalShortcut).toBe("Alt+Space");
    expect(wrapped.preferences).toEqual({ menuBarEnabled: true });
    expect(entryAt(s.config, ["mcpServers", "guarded"])).toEqual(
      (JSON.parse(CLAUDE_DESKTOP) as { mcpServers: Record<string, unknown> }).mcpServers.guarded,
    );
    expect(serversOf(s.dataDir)).toEqual({
      virtualization: {
        command: "python",
        args: ["-m", "virtualization_mcp"],
        env: { VBOX_USER_HOME: "/Users/me/VirtualBox VMs" },
      },
      filesystem: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"],
      },
    });
    roundTrip("claude-desktop", s, CLAUDE_DESKTOP);
  });
});

describe("Cursor", () => {
  it("moves stdio and remote servers, keeps unknown fields, leaves wrapped, disabled and variable entries", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    const result = wrap("cursor", s);
    expect(result.entries.map((e) => [e.label, e.outcome])).toEqual([
      ["mcpServers.virt", "moved"],
      ["mcpServers.linear", "moved"],
      ['mcpServers["through-warden"]', "already-wrapped"],
      ["mcpServers.off", "disabled"],
      ["mcpServers.secret", "unsupported"],
    ]);
    const token = tokensOf(s.dataDir).grants.cursor;
    expect(entryAt(s.config, ["mcpServers", "virt"])).toEqual({
      url: `${WARDEN_URL}/mcp/virt`,
      headers: { Authorization: `Bearer ${token}` },
      autoApprove: ["list_vms"],
    });
    expect(entryAt(s.config, ["mcpServers", "linear"])).toEqual({
      url: `${WARDEN_URL}/mcp/linear`,
      headers: { Authorization: `Bearer ${token}` },
    });
    const text = read(s.config);
    expect(text).toContain('"off": { "command": "node", "args": ["off.js"], "disabled": true },');
    expect(text).toContain(
      `"secret": { "command": "npx", "args": ["srv"], "env": { "KEY": "\${env:MY_KEY}" } }`,
    );
    expect((parseJsonc(text).value as Record<string, unknown>)["cursor.someFutureField"]).toEqual([1, 2, 3]);
    expect(serversOf(s.dataDir)).toEqual({
      virt: { command: "node", args: ["server.js", "--mode", "testing"] },
      linear: { url: "https://mcp.linear.app/mcp", headers: { Authorization: "Bearer lin_123" } },
    });
    roundTrip("cursor", s, CURSOR);
  });
});

describe("Claude Code", () => {
  it("moves user and per-project servers, a clashing name gets a suffix, everything else is kept", () => {
    const s = setup(".claude.json", CLAUDE_CODE);
    const result = wrap("claude-code", s);
    expect(result.entries).toEqual([
      { label: "mcpServers.github", outcome: "moved", server: "github" },
      {
        label: 'projects["/home/me/app"].mcpServers.db',
        outcome: "moved",
        server: "db",
        note: "if it asks for sign-in (OAuth), the warden signs in for it: press Sign in in the Servers view",
      },
      { label: 'projects["/home/me/app"].mcpServers.github', outcome: "moved", server: "github-2" },
    ]);
    const token = tokensOf(s.dataDir).grants["claude-code"];
    const http = (server: string) => ({
      type: "http",
      url: `${WARDEN_URL}/mcp/${server}`,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(entryAt(s.config, ["mcpServers", "github"])).toEqual(http("github"));
    expect(entryAt(s.config, ["projects", "/home/me/app", "mcpServers", "github"])).toEqual(http("github-2"));
    const after = JSON.parse(read(s.config)) as Record<string, unknown>;
    const before = JSON.parse(CLAUDE_CODE) as Record<string, unknown>;
    expect({ ...after, mcpServers: null, projects: null }).toEqual({
      ...before,
      mcpServers: null,
      projects: null,
    });
    const github = { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"] };
    expect(serversOf(s.dataDir)).toEqual({
      github: { ...github, env: { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_user" } },
      db: { url: "http://localhost:9000/sse", transport: "sse" },
      // A project's server runs in the project's folder, as Claude Code ran it.
      "github-2": { ...github, env: { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_project" }, cwd: "/home/me/app" },
    });
    roundTrip("claude-code", s, CLAUDE_CODE);
  });
});

describe("VS Code", () => {
  it("rewrites mcp.servers in settings.json and keeps comments, trailing commas and indentation", () => {
    const s = setup("Code/User/settings.json", VSCODE_SETTINGS);
    const result = wrap("vscode", s);
    expect(result.entries.map((e) => [e.label, e.outcome])).toEqual([
      ["mcp.servers.virt", "moved"],
      ["mcp.servers.github", "unsupported"],
    ]);
    const token = tokensOf(s.dataDir).grants.vscode;
    const text = read(s.config);
    expect(text).toBe(
      VSCODE_SETTINGS.replace(
        `{
                "type": "stdio",
                "command": "python",
                "args": ["-m", "virtualization_mcp"],
            }`,
        `{
                "type": "http",
                "url": "${WARDEN_URL}/mcp/virt",
                "headers": {
                    "Authorization": "Bearer ${token}"
                }
            }`,
      ),
    );
    expect(
      wardenServerOf(entryAt(s.config, ["mcp", "servers", "virt"]), { url: WARDEN_URL, tokens: [] }),
    ).toBe("virt");
    roundTrip("vscode", s, VSCODE_SETTINGS);
  });

  it("rewrites a workspace's .vscode/mcp.json and keeps its inputs", () => {
    const s = setup("app/.vscode/mcp.json", VSCODE_WORKSPACE);
    expect(wrap("vscode", s).entries).toEqual([
      { label: "servers.memory", outcome: "moved", server: "memory" },
    ]);
    const wrapped = JSON.parse(read(s.config)) as {
      inputs: unknown;
      servers: Record<string, { type: string }>;
    };
    expect(wrapped.inputs).toEqual((JSON.parse(VSCODE_WORKSPACE) as { inputs: unknown }).inputs);
    expect(wrapped.servers.memory?.type).toBe("http");
    expect(serversOf(s.dataDir)).toEqual({
      memory: {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-memory"],
        cwd: dirname(dirname(realpathSync(s.config))),
      },
    });
    roundTrip("vscode", s, VSCODE_WORKSPACE);
  });
});

describe("merging into the servers file", () => {
  it("reuses an identical server, suffixes a different one, and unwrap removes only what it added", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    mkdirSync(s.dataDir, { recursive: true });
    const mine = `{
  "mcpServers": {
    "virt": { "command": "node", "args": ["server.js", "--mode", "testing"] },
    "linear": { "url": "https://other.example/mcp" }
  }
}
`;
    writeFileSync(dataPaths(s.dataDir).servers, mine);
    const result = wrap("cursor", s);
    expect(result.entries.filter((e) => e.outcome === "moved").map((e) => e.server)).toEqual([
      "virt",
      "linear-2",
    ]);
    expect(Object.keys(serversOf(s.dataDir))).toEqual(["virt", "linear", "linear-2"]);
    unwrapClient({ client: "cursor", dataDir: s.dataDir });
    expect(read(dataPaths(s.dataDir).servers)).toBe(mine);
  });

  it("keeps a moved server the user has changed since", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    wrap("cursor", s);
    const serversPath = dataPaths(s.dataDir).servers;
    writeFileSync(serversPath, read(serversPath).replace("server.js", "server2.js"));
    const undone = unwrapClient({ client: "cursor", dataDir: s.dataDir });
    expect(undone.removedServers).toEqual(["linear"]);
    expect(undone.keptServers).toEqual([{ server: "virt", why: "changed since it was moved" }]);
    expect(Object.keys(serversOf(s.dataDir))).toEqual(["virt"]);
  });

  it("keeps a server another wrapped client still uses", () => {
    const root = tempDir("wrap-");
    const dataDir = join(root, "data");
    const a = setup(".cursor/mcp.json", CURSOR);
    const b = setup("app/.cursor/mcp.json", CURSOR);
    wrap("cursor", { dataDir, config: a.config });
    const second = wrap("cursor", { dataDir, config: b.config });
    expect(second.entries.filter((e) => e.outcome === "moved").map((e) => e.server)).toEqual([
      "virt",
      "linear",
    ]);
    expect(() => unwrapClient({ client: "cursor", dataDir })).toThrow(/2 wrapped files; pass --config/);
    const undone = unwrapClient({ client: "cursor", dataDir, configPath: a.config });
    expect(undone.removedServers).toEqual([]);
    expect(undone.keptServers.map((k) => k.why)).toEqual([
      `still used by ${b.config}`,
      `still used by ${b.config}`,
    ]);
    expect(undone.grantRemoved).toBe(false);
    expect(read(a.config)).toBe(CURSOR);
    const last = unwrapClient({ client: "cursor", dataDir });
    expect(last.removedServers).toEqual(["virt", "linear"]);
    expect(last.grantRemoved).toBe(true);
  });
});

describe("unwrap after the file changed", () => {
  it("puts the original entries back and keeps the user's other changes", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    wrap("cursor", s);
    const edited = read(s.config).replace(
      '"cursor.someFutureField": [1, 2, 3]',
      '"cursor.someFutureField": [4]',
    );
    writeFileSync(s.config, edited);
    const undone = unwrapClient({ client: "cursor", dataDir: s.dataDir });
    expect(undone.exact).toBe(false);
    expect(undone.restored.sort()).toEqual(["mcpServers.linear", "mcpServers.virt"]);
    expect(read(s.config)).toBe(
      CURSOR.replace('"cursor.someFutureField": [1, 2, 3]', '"cursor.someFutureField": [4]'),
    );
  });

  it("undoes two wraps in turn: a server added between them is wrapped by the second and restored", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    wrap("cursor", s);
    const withNew = read(s.config).replace(
      '"mcpServers": {',
      '"mcpServers": {\n    "added": { "command": "later" },',
    );
    writeFileSync(s.config, withNew);
    const second = wrap("cursor", s);
    expect(second.entries.filter((e) => e.outcome === "moved").map((e) => e.label)).toEqual([
      "mcpServers.added",
    ]);
    const undone = unwrapClient({ client: "cursor", dataDir: s.dataDir });
    expect(undone.exact).toBe(false);
    expect(read(s.config)).toBe(
      CURSOR.replace('"mcpServers": {', '"mcpServers": {\n    "added": { "command": "later" },'),
    );
    expect(serversOf(s.dataDir)).toEqual({});
  });
});

describe("files", () => {
  it("writes through a symlink and makes the file user-only: it holds the client's token", () => {
    const s = setup("dotfiles/claude.json", CLAUDE_CODE);
    chmodSync(s.config, 0o644);
    const link = join(dirname(dirname(s.config)), ".claude.json");
    symlinkSync(s.config, link);
    wrapClient({
      client: "claude-code",
      configPath: link,
      dataDir: s.dataDir,
      wardenUrl: WARDEN_URL,
      bridge: BRIDGE,
    });
    expect(statSync(s.config).mode & 0o777).toBe(0o600);
    expect(read(link)).not.toBe(CLAUDE_CODE);
    const tokens = JSON.parse(read(dataPaths(s.dataDir).tokens)) as Tokens;
    expect(read(s.config)).toContain(tokens.grants["claude-code"]);
    unwrapClient({ client: "claude-code", configPath: link, dataDir: s.dataDir });
    expect(read(s.config)).toBe(CLAUDE_CODE);
  });

  it.runIf(process.platform !== "win32")(
    "refuses a file another user owns or may write, and writes nothing: its servers would run as you",
    () => {
      const theirs = setup(".cursor/mcp.json", CURSOR);
      chownSync(theirs.config, 65_534, 65_534);
      expect(() => wrap("cursor", theirs)).toThrow(
        /Cursor's config file .* belongs to uid 65534, not to you/,
      );
      const open = setup(".cursor/mcp.json", CURSOR);
      chmodSync(open.config, 0o666);
      expect(() => wrap("cursor", open)).toThrow(/can be written by other users \(mode 0666\); chmod go-w/);
      expect([theirs, open].map((s) => existsSync(s.dataDir))).toEqual([false, false]);
      expect(read(open.config)).toBe(CURSOR);
    },
  );

  it("refuses a file it cannot parse, naming the line, and writes nothing", () => {
    const s = setup(".cursor/mcp.json", '{\n  "mcpServers": {\n    "a": { "command": "x" }\n  \n');
    expect(() => wrap("cursor", s)).toThrow(/mcp\.json: line 5/);
    expect(existsSync(s.dataDir)).toBe(false);
  });

  it("refuses to wrap a file again into a different servers file", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    wrap("cursor", s);
    writeFileSync(
      s.config,
      read(s.config).replace('"mcpServers": {', '"mcpServers": {\n    "n": { "command": "x" },'),
    );
    const other = join(s.dataDir, "other-servers.json");
    expect(() =>
      wrapClient({
        client: "cursor",
        configPath: s.config,
        dataDir: s.dataDir,
        serversPath: other,
        wardenUrl: WARDEN_URL,
        bridge: BRIDGE,
      }),
    ).toThrow(/is wrapped into .*servers\.json; wrap it with that servers file or unwrap it first/);
    expect(existsSync(other)).toBe(false);
  });

  it("refuses to merge into an invalid servers file", () => {
    const s = setup(".cursor/mcp.json", CURSOR);
    mkdirSync(s.dataDir, { recursive: true });
    writeFileSync(dataPaths(s.dataDir).servers, '{"mcpServers": {"bad name!": {"command": "x"}}}');
    expect(() => wrap("cursor", s)).toThrow(/servers file .* is invalid/);
    expect(read(s.config)).toBe(CURSOR);
  });
});

describe("findClientConfigs", () => {
  it("finds each client's files under a home folder and counts servers and wrapped ones", () => {
    const home = tempDir("home-");
    const place: Place = { platform: "linux", home, env: {}, cwd: join(home, "app") };
    const files: [string, string][] = [
      [".config/Claude/claude_desktop_config.json", CLAUDE_DESKTOP],
      [".cursor/mcp.json", CURSOR],
      [".claude.json", CLAUDE_CODE],
      [".config/Code/User/settings.json", VSCODE_SETTINGS],
      ["app/.vscode/mcp.json", "{ not json"],
    ];
    for (const [path, text] of files) {
      mkdirSync(dirname(join(home, path)), { recursive: true });
      writeFileSync(join(home, path), text);
    }
    const found = findClientConfigs(place, { url: WARDEN_URL, tokens: [], scripts: BRIDGE.args });
    expect(found.map(({ client, servers, wrapped }) => [client, servers, wrapped])).toEqual([
      ["claude-desktop", 3, 1],
      ["cursor", 5, 1],
      ["claude-code", 3, 0],
      ["vscode", 2, 0],
      ["vscode", 0, 0],
    ]);
    expect(found.at(-1)?.error).toMatch(/line 1/);
  });
});
