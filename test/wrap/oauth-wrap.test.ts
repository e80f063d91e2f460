/**
 * Wrapping remote servers that sign in with OAuth: an entry with no credentials moves and the result says
 * the warden signs in for it; one bound to an OAuth client registered for the client's own redirect is left
 * alone with the reason; one with its own Authorization header moves as before, with no note.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { wrapClient } from "../../main/core/clients/client-wrap.js";
import { dataPaths } from "../../main/core/config/data-dir.js";
import { tempDir } from "../helpers/warden.js";

const CLAUDE_CODE = `{
  "mcpServers": {
    "notion": { "type": "http", "url": "https://mcp.notion.com/mcp" },
    "sentry": {
      "type": "http",
      "url": "https://mcp.sentry.dev/mcp",
      "oauth": { "clientId": "claude-code-sentry", "callbackPort": 8123 }
    },
    "linear": { "type": "http", "url": "https://mcp.linear.app/mcp", "headers": { "Authorization": "Bearer lin_1" } }
  }
}
`;

describe("wrapping OAuth servers", () => {
  it("moves a server the warden can sign in for and says so; leaves one it cannot with the reason", () => {
    const root = tempDir("wrap-oauth-");
    const config = join(root, "home", ".claude.json");
    mkdirSync(dirname(config), { recursive: true });
    writeFileSync(config, CLAUDE_CODE);
    const dataDir = join(root, "data");
    const result = wrapClient({
      client: "claude-code",
      configPath: config,
      dataDir,
      wardenUrl: "http://127.0.0.1:17430",
      bridge: { command: "node", args: ["cli.js"] },
    });
    const byLabel = Object.fromEntries(result.entries.map((e) => [e.label, e]));
    expect(byLabel["mcpServers.notion"]).toEqual({
      label: "mcpServers.notion",
      outcome: "moved",
      server: "notion",
      note: "if it asks for sign-in (OAuth), the warden signs in for it: press Sign in in the Servers view",
    });
    expect(byLabel["mcpServers.sentry"]?.outcome).toBe("unsupported");
    expect(byLabel["mcpServers.sentry"]?.note).toContain('it signs in as OAuth client "claude-code-sentry"');
    expect(byLabel["mcpServers.linear"]).toEqual({
      label: "mcpServers.linear",
      outcome: "moved",
      server: "linear",
    });
    const servers = JSON.parse(readFileSync(dataPaths(dataDir).servers, "utf8")).mcpServers;
    expect(Object.keys(servers).sort()).toEqual(["linear", "notion"]);
    const wrapped = JSON.parse(readFileSync(config, "utf8")).mcpServers;
    expect(wrapped.sentry).toEqual(JSON.parse(CLAUDE_CODE).mcpServers.sentry);
    expect(wrapped.notion.url).toBe("http://127.0.0.1:17430/mcp/notion");
  });
});
