/**
 * The next step when no call has been made yet: the config that points each MCP client (Claude Desktop,
 * Cursor, Claude Code, VS Code) at a server through this warden, as the core would write it when wrapping
 * the client, with a client token (masked on screen, whole in the copy). Without servers, where to add one.
 */
import { useEffect, useState } from "react";
import { type ClientId, type ClientSnippet, TOKEN_PLACEHOLDER } from "../../../shared/clients.js";
import type { ServerStatus } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { maskToken, useGrants } from "../servers/GrantsPanel.js";
import { defaultGrant } from "../servers/ServersView.js";
import { CopyButton } from "../ui/CopyButton.js";
import { ServerSelect } from "../ui/ServerSelect.js";
import { Tabs } from "../ui/Tabs.js";

export function ConnectAgent({ servers }: { servers: readonly ServerStatus[] }) {
  const api = useApi();
  const grants = useGrants();
  const [server, setServer] = useState<string>();
  const [client, setClient] = useState<ClientId>("claude-desktop");
  const [snippets, setSnippets] = useState<{ server: string; list: ClientSnippet[]; error?: string }>();
  const chosen = server && servers.some((s) => s.name === server) ? server : servers[0]?.name;

  useEffect(() => {
    if (!chosen) return;
    let current = true;
    api.clientSnippets({ server: chosen }).then(
      (r) =>
        current && setSnippets({ server: chosen, list: r.snippets, ...(r.error ? { error: r.error } : {}) }),
      (e: Error) => current && setSnippets({ server: chosen, list: [], error: e.message }),
    );
    return () => {
      current = false;
    };
  }, [api, chosen]);

  if (!chosen) {
    return (
      <section className="connect-agent" aria-labelledby="connect-agent-title">
        <h2 id="connect-agent-title">No calls yet: the warden has no servers to guard</h2>
        <p>
          Add your MCP servers to the warden's <code>servers.json</code> (the <code>mcpServers</code> format
          your clients use), or put a client's servers behind the warden with <strong>Protect</strong> in{" "}
          <a href="#/servers">Servers</a>. To try it first, <code>mcp-warden serve --demo</code> adds a
          stand-in virtualization server.
        </p>
      </section>
    );
  }

  const grantName = defaultGrant(grants.list);
  const token = grants.list?.find((g) => g.name === grantName)?.token;
  const list = snippets?.server === chosen ? snippets.list : [];
  const snippet = list.find((s) => s.client === client) ?? list[0];
  const endpoint = servers.find((s) => s.name === chosen)?.endpoint;
  return (
    <section className="connect-agent" aria-labelledby="connect-agent-title">
      <h2 id="connect-agent-title">No calls yet: connect an agent</h2>
      <p>
        Paste this into your client's config and restart it: its calls to <strong>{chosen}</strong> then pass
        your policy first and appear here.
      </p>
      {servers.length > 1 && (
        <ServerSelect className="connect-server" servers={servers} value={chosen} onChange={setServer} />
      )}
      {snippets?.error && snippets.server === chosen && (
        <p className="muted">
          Any MCP client that speaks Streamable HTTP reaches it at <code>{endpoint}</code> with the header{" "}
          <code>Authorization: Bearer {token ? maskToken(token) : TOKEN_PLACEHOLDER}</code>.
        </p>
      )}
      {list.length > 0 && snippet && (
        <Tabs
          label="Clients"
          selected={snippet.client}
          onSelect={setClient}
          tabs={list.map((s) => ({ key: s.client, label: s.label }))}
        >
          {snippet.file && (
            <p className="muted">
              In <code>{snippet.file}</code>
            </p>
          )}
          <pre className="json">
            {snippet.text.replaceAll(TOKEN_PLACEHOLDER, token ? maskToken(token) : TOKEN_PLACEHOLDER)}
          </pre>
          <div className="copy-after">
            <CopyButton
              text={snippet.text.replaceAll(TOKEN_PLACEHOLDER, token ?? TOKEN_PLACEHOLDER)}
              label={`Copy the ${snippet.label} configuration`}
            />
            <span className="muted">
              {token
                ? ` The token (grant "${grantName}") is hidden here; Copy includes it. Keep the file user-only.`
                : " Put a client token from Servers → Client tokens where the placeholder is."}
            </span>
          </div>
        </Tabs>
      )}
    </section>
  );
}
