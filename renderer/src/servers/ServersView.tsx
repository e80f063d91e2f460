/**
 * The upstream servers: state, restarts, last stderr lines, tools, held tools, and the endpoint a client
 * connects to (with a config snippet to copy). Client tokens are not shown: the UI never receives them;
 * they live in tokens.json in the warden's data folder.
 */
import type { ServerStatus, ToolChange } from "../../../shared/contract.js";
import { CopyButton } from "../ui/CopyButton.js";
import { RiskBadge, type RiskView, toolRisk } from "../ui/risk.js";
import { ToolChanges } from "./ToolChanges.js";

const STATE_TONE: Record<ServerStatus["state"], string> = {
  connected: "ok",
  starting: "wait",
  restarting: "warn",
  failed: "bad",
  stopped: "muted",
};

/** A client config entry for Streamable HTTP, with a placeholder where the token goes. */
export function clientConfig(server: ServerStatus): string {
  return JSON.stringify(
    {
      mcpServers: {
        [server.name]: { url: server.endpoint, headers: { Authorization: "Bearer <your client token>" } },
      },
    },
    null,
    2,
  );
}

interface Props {
  servers: readonly ServerStatus[];
  toolChanges: readonly ToolChange[];
}

export function ServersView({ servers, toolChanges }: Props) {
  if (servers.length === 0) {
    return (
      <p className="muted">
        No upstream servers are configured. Add them to <code>servers.json</code> in the warden's data folder.
      </p>
    );
  }
  return (
    <div className="servers">
      <p className="muted tokens-note">
        Each client needs a token: grants live in <code>tokens.json</code> in the warden's data folder (
        <code>mcp-warden serve --data-dir</code>, by default <code>~/.config/mcp-warden</code>), or are given
        with <code>--token</code>/<code>--grant</code>. The UI never sees them.
      </p>
      <ToolChanges changes={toolChanges} />
      {servers.map((server) => (
        <ServerCard key={server.name} server={server} />
      ))}
    </div>
  );
}

function ServerCard({ server }: { server: ServerStatus }) {
  const titleId = `server-${server.name}`;
  return (
    <section className="card server" aria-labelledby={titleId}>
      <header className="card-head">
        <h2 id={titleId}>{server.name}</h2>
        <span className={`badge tone-${STATE_TONE[server.state]}`}>{server.state}</span>
        <span className="muted">
          {server.transport}
          {server.restarts > 0
            ? ` · ${server.restarts} ${server.restarts === 1 ? "restart" : "restarts"}`
            : ""}
        </span>
      </header>
      {server.lastError && (
        <p className="error-text">
          <strong>Last error:</strong> {server.lastError}
        </p>
      )}
      <div className="endpoint">
        <span className="label">Endpoint</span>
        <code className="endpoint-url">{server.endpoint}</code>
        <CopyButton text={server.endpoint} label={`Copy the endpoint of ${server.name}`} />
      </div>
      <details>
        <summary>Client configuration</summary>
        <pre className="json">{clientConfig(server)}</pre>
        <div className="copy-after">
          <CopyButton
            text={clientConfig(server)}
            label={`Copy the client configuration for ${server.name}`}
          />
        </div>
      </details>
      <details open={server.state === "failed" || server.state === "restarting"}>
        <summary>
          stderr ({server.stderr.length} {server.stderr.length === 1 ? "line" : "lines"})
        </summary>
        {server.stderr.length === 0 ? (
          <p className="muted">Nothing written to stderr.</p>
        ) : (
          <>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so the keyboard can scroll it */}
            <pre className="stderr" tabIndex={0}>
              {server.stderr.join("\n")}
            </pre>
          </>
        )}
      </details>
      <details>
        <summary>Tools ({server.tools.length})</summary>
        <ul className="tool-list">
          {server.tools.map((tool) => (
            <li key={tool.name}>
              <code>{tool.name}</code> {toolRisk(tool) && <RiskBadge risk={toolRisk(tool) as RiskView} />}
              {tool.description && <span className="muted"> — {tool.description}</span>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
