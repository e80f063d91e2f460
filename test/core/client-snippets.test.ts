import { describe, expect, it } from "vitest";
import { clientSnippets } from "../../main/core/clients/snippets.js";
import { TOKEN_PLACEHOLDER } from "../../shared/clients.js";

const reach = {
  url: "http://127.0.0.1:17430",
  dataDir: "/home/me/.config/mcp-warden",
  bridge: { command: "/usr/bin/node", args: ["/opt/mcp-warden/dist/cli.js"] },
};
const place = { platform: "linux" as const, home: "/home/me", env: {}, cwd: "/home/me/app" };

describe("client config snippets", () => {
  const snippets = Object.fromEntries(clientSnippets("virt", reach, place).map((s) => [s.client, s]));

  it("Claude Desktop runs the connect bridge with the CLI's absolute paths and the token in its env", () => {
    expect(JSON.parse(snippets["claude-desktop"]?.text ?? "")).toEqual({
      mcpServers: {
        virt: {
          command: "/usr/bin/node",
          args: ["/opt/mcp-warden/dist/cli.js", "connect", "virt", "--data-dir", reach.dataDir],
          env: { MCP_WARDEN_TOKEN: TOKEN_PLACEHOLDER },
        },
      },
    });
    expect(snippets["claude-desktop"]?.file).toBe("/home/me/.config/Claude/claude_desktop_config.json");
  });

  it("Cursor gets the URL; Claude Code and VS Code the typed URL, VS Code under servers", () => {
    const headers = { Authorization: `Bearer ${TOKEN_PLACEHOLDER}` };
    const url = "http://127.0.0.1:17430/mcp/virt";
    expect(JSON.parse(snippets.cursor?.text ?? "")).toEqual({ mcpServers: { virt: { url, headers } } });
    expect(JSON.parse(snippets["claude-code"]?.text ?? "")).toEqual({
      mcpServers: { virt: { type: "http", url, headers } },
    });
    expect(JSON.parse(snippets.vscode?.text ?? "")).toEqual({
      servers: { virt: { type: "http", url, headers } },
    });
  });

  it("VS Code's settings.json keeps them under mcp.servers", () => {
    const [vscode] = clientSnippets("virt", reach, place, (c) =>
      c === "vscode" ? "/home/me/.config/Code/User/settings.json" : undefined,
    ).filter((s) => s.client === "vscode");
    expect(Object.keys(JSON.parse(vscode?.text ?? "").mcp.servers)).toEqual(["virt"]);
  });
});
