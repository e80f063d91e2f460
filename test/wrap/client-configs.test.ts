/**
 * Client config formats: each client's documented paths on macOS, Windows and Linux, where servers sit in
 * its file, which entries already reach the warden, which can move, and what a wrapped entry looks like.
 */
import { describe, expect, it } from "vitest";
import {
  BRIDGE_TOKEN_ENV,
  clientConfigPaths,
  isDisabled,
  type Place,
  projectFolder,
  serverConfigOf,
  serverContainers,
  wardenServerOf,
  wrappedEntry,
} from "../../main/core/clients/client-configs.js";
import { parseJsonc } from "../../main/core/clients/jsonc.js";
import type { ClientId } from "../../shared/clients.js";

const MAC: Place = { platform: "darwin", home: "/Users/me", env: {}, cwd: "/Users/me/app" };
const LINUX: Place = { platform: "linux", home: "/home/me", env: {}, cwd: "/home/me/app" };
const WINDOWS: Place = {
  platform: "win32",
  home: "C:\\Users\\me",
  env: { APPDATA: "C:\\Users\\me\\AppData\\Roaming" },
  cwd: "C:\\src\\app",
};

describe("where each client keeps its config", () => {
  it.each<[ClientId, Place, string[]]>([
    ["claude-desktop", MAC, ["/Users/me/Library/Application Support/Claude/claude_desktop_config.json"]],
    ["claude-desktop", WINDOWS, ["C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json"]],
    ["claude-desktop", LINUX, ["/home/me/.config/Claude/claude_desktop_config.json"]],
    ["cursor", MAC, ["/Users/me/.cursor/mcp.json", "/Users/me/app/.cursor/mcp.json"]],
    ["cursor", WINDOWS, ["C:\\Users\\me\\.cursor\\mcp.json", "C:\\src\\app\\.cursor\\mcp.json"]],
    ["claude-code", LINUX, ["/home/me/.claude.json", "/home/me/app/.mcp.json"]],
    ["claude-code", WINDOWS, ["C:\\Users\\me\\.claude.json", "C:\\src\\app\\.mcp.json"]],
    [
      "vscode",
      MAC,
      [
        "/Users/me/Library/Application Support/Code/User/mcp.json",
        "/Users/me/Library/Application Support/Code/User/settings.json",
        "/Users/me/app/.vscode/mcp.json",
      ],
    ],
    [
      "vscode",
      WINDOWS,
      [
        "C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json",
        "C:\\Users\\me\\AppData\\Roaming\\Code\\User\\settings.json",
        "C:\\src\\app\\.vscode\\mcp.json",
      ],
    ],
    [
      "vscode",
      LINUX,
      [
        "/home/me/.config/Code/User/mcp.json",
        "/home/me/.config/Code/User/settings.json",
        "/home/me/app/.vscode/mcp.json",
      ],
    ],
  ])("%s on %s", (client, place, expected) => {
    expect(clientConfigPaths(client, place)).toEqual(expected);
  });

  it("lists a file once when the project folder is the home folder", () => {
    expect(clientConfigPaths("cursor", { ...LINUX, cwd: "/home/me" })).toEqual(["/home/me/.cursor/mcp.json"]);
  });

  it("follows XDG_CONFIG_HOME on Linux and CLAUDE_CONFIG_DIR for Claude Code", () => {
    const place = { ...LINUX, env: { XDG_CONFIG_HOME: "/xdg", CLAUDE_CONFIG_DIR: "/cc" } };
    expect(clientConfigPaths("claude-desktop", place)).toEqual(["/xdg/Claude/claude_desktop_config.json"]);
    expect(clientConfigPaths("claude-code", place)[0]).toBe("/cc/.claude.json");
  });
});

describe("where servers sit in a file", () => {
  it("finds Claude Code's servers at the top and in every project", () => {
    const root = parseJsonc('{"mcpServers": {}, "projects": {"/a": {"mcpServers": {}}, "/b": {}}}');
    expect(serverContainers("claude-code", "/home/me/.claude.json", root)).toEqual([
      ["mcpServers"],
      ["projects", "/a", "mcpServers"],
      ["projects", "/b", "mcpServers"],
    ]);
  });

  it("reads VS Code's settings.json under mcp.servers and mcp.json under servers", () => {
    const root = parseJsonc("{}");
    expect(serverContainers("vscode", "/u/settings.json", root)).toEqual([["mcp", "servers"]]);
    expect(serverContainers("vscode", "C:\\Code\\User\\settings.json", root)).toEqual([["mcp", "servers"]]);
    expect(serverContainers("vscode", "/app/.vscode/mcp.json", root)).toEqual([["servers"]]);
    expect(serverContainers("cursor", "/app/.cursor/mcp.json", root)).toEqual([["mcpServers"]]);
  });
});

describe("entries that already reach the warden", () => {
  const warden = { url: "http://127.0.0.1:17430", tokens: ["known-token"] };

  it("recognises the warden's URL on loopback, by port or by a known token", () => {
    expect(wardenServerOf({ url: "http://127.0.0.1:17430/mcp/virt" }, warden)).toBe("virt");
    expect(wardenServerOf({ type: "http", url: "http://localhost:17430/mcp/a%20b/" }, warden)).toBe("a b");
    const otherPort = {
      url: "http://127.0.0.1:9999/mcp/virt",
      headers: { authorization: "Bearer known-token" },
    };
    expect(wardenServerOf(otherPort, warden)).toBe("virt");
    expect(wardenServerOf({ url: "http://127.0.0.1:9999/mcp/virt" }, warden)).toBeUndefined();
    expect(wardenServerOf({ url: "https://example.com:17430/mcp/virt" }, warden)).toBeUndefined();
    expect(wardenServerOf({ url: "http://127.0.0.1:17430/other" }, warden)).toBeUndefined();
  });

  it("recognises the bridge, however it is started", () => {
    const viaNode = { command: "/usr/bin/node", args: ["/opt/w/dist/cli.js", "connect", "virt"] };
    expect(wardenServerOf(viaNode, { ...warden, scripts: ["/opt/w/dist/cli.js"] })).toBe("virt");
    expect(wardenServerOf(viaNode, warden)).toBeUndefined();
    expect(wardenServerOf({ command: "npx", args: ["mcp-warden", "connect", "x"] }, warden)).toBe("x");
    expect(wardenServerOf({ command: "C:\\bin\\mcp-warden.cmd", args: ["connect", "y"] }, warden)).toBe("y");
    const byEnv = { command: "node", args: ["w.js", "connect", "z"], env: { [BRIDGE_TOKEN_ENV]: "t" } };
    expect(wardenServerOf(byEnv, warden)).toBe("z");
    expect(wardenServerOf({ command: "ssh", args: ["host", "connect", "z"] }, warden)).toBeUndefined();
    expect(wardenServerOf({ command: "python", args: ["-m", "virtualization_mcp"] }, warden)).toBeUndefined();
  });

  it("knows a disabled entry", () => {
    expect(isDisabled({ command: "x", disabled: true })).toBe(true);
    expect(isDisabled({ command: "x", enabled: false })).toBe(true);
    expect(isDisabled({ command: "x", disabled: false })).toBe(false);
  });
});

describe("what moves into the warden's servers file", () => {
  it("runs a project's stdio server in the project's folder", () => {
    expect(
      projectFolder("claude-code", "/home/me/.claude.json", ["projects", "/home/me/app", "mcpServers"]),
    ).toBe("/home/me/app");
    expect(projectFolder("claude-code", "/home/me/.claude.json", ["mcpServers"])).toBeUndefined();
    expect(projectFolder("claude-code", "/src/app/.mcp.json", ["mcpServers"])).toBe("/src/app");
    expect(projectFolder("vscode", "/src/app/.vscode/mcp.json", ["servers"])).toBe("/src/app");
    expect(projectFolder("vscode", "/home/me/.config/Code/User/mcp.json", ["servers"])).toBeUndefined();
    expect(serverConfigOf({ command: "node", args: ["./srv.js"] }, "/src/app")).toEqual({
      config: { command: "node", args: ["./srv.js"], cwd: "/src/app" },
    });
    expect(serverConfigOf({ command: "node", cwd: "/own" }, "/src/app")).toEqual({
      config: { command: "node", cwd: "/own" },
    });
    expect(serverConfigOf({ url: "https://h/mcp" }, "/src/app")).toEqual({
      config: { url: "https://h/mcp" },
    });
  });

  it("moves stdio and HTTP servers with their settings, SSE as transport sse", () => {
    expect(
      serverConfigOf({ type: "stdio", command: "py", args: ["-m", "v"], env: { A: "1" }, cwd: "/w" }),
    ).toEqual({
      config: { command: "py", args: ["-m", "v"], env: { A: "1" }, cwd: "/w" },
    });
    expect(serverConfigOf({ url: "https://h/mcp", headers: { X: "y" }, autoApprove: [] })).toEqual({
      config: { url: "https://h/mcp", headers: { X: "y" } },
    });
    expect(serverConfigOf({ type: "sse", url: "http://h/sse" })).toEqual({
      config: { url: "http://h/sse", transport: "sse" },
    });
  });

  it.each([
    [{ command: "x", env: { KEY: `\${env:KEY}` } }, /variables/],
    [{ type: "http", url: "https://h/mcp", headers: { A: `Bearer \${input:tok}` } }, /variables/],
    [{ command: "x", envFile: `\${workspaceFolder}/.env` }, /envFile/],
    [{ type: "websocket", url: "ws://h" }, /not one the warden speaks/],
    [{ args: ["a"] }, /command|url/],
    [{ command: "x", env: { N: 1 } }, /env/],
    ["npx server", /not an object/],
  ])("leaves %j with the client (%s)", (entry, why) => {
    const result = serverConfigOf(entry);
    expect("problem" in result && result.problem).toMatch(why);
  });
});

describe("the entry a client gets", () => {
  const reach = {
    url: "http://127.0.0.1:17430",
    token: "tok",
    dataDir: "/data",
    bridge: { command: "/usr/bin/node", args: ["/opt/w/dist/cli.js"] },
  };
  const original = {
    command: "py",
    args: ["-m", "v"],
    env: { SECRET: "s" },
    autoApprove: ["list_vms"],
    timeout: 60,
  };

  it("Claude Desktop starts the bridge, with the token in env (not in the process list)", () => {
    expect(wrappedEntry("claude-desktop", original, "virt", reach)).toEqual({
      command: "/usr/bin/node",
      args: ["/opt/w/dist/cli.js", "connect", "virt", "--data-dir", "/data"],
      env: { MCP_WARDEN_TOKEN: "tok" },
      autoApprove: ["list_vms"],
      timeout: 60,
    });
  });

  it("Cursor gets a URL and headers; Claude Code and VS Code also get type http", () => {
    const http = { url: "http://127.0.0.1:17430/mcp/virt", headers: { Authorization: "Bearer tok" } };
    expect(wrappedEntry("cursor", original, "virt", reach)).toEqual({
      ...http,
      autoApprove: ["list_vms"],
      timeout: 60,
    });
    for (const client of ["claude-code", "vscode"] as const) {
      expect(wrappedEntry(client, { type: "stdio", command: "py" }, "virt", reach)).toEqual({
        type: "http",
        ...http,
      });
    }
  });

  it("gives entries the warden recognises as its own", () => {
    const warden = { url: reach.url, tokens: ["tok"] };
    for (const client of ["claude-desktop", "cursor", "claude-code", "vscode"] as const) {
      expect(wardenServerOf(wrappedEntry(client, original, "my server", reach), warden)).toBe("my server");
    }
  });
});
