/**
 * The upstream servers: state, restarts, last stderr lines, tools with their risk (per action for
 * portmanteau tools), held tools, the endpoint a client connects to (with a config snippet that carries a
 * real client token), and a starter policy per connected server. Below them, the client configs found on
 * this computer (Protect / Undo) and the client tokens (grants). Above them, the team, when there is one.
 */
import { useState } from "react";
import type { GrantInfo, ServerStatus, ToolChange } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { CopyButton } from "../ui/CopyButton.js";
import { InferredTag, RiskBadge, RiskLevelBadge } from "../ui/risk.js";
import { ClientsPanel } from "./ClientsPanel.js";
import { type Grants, GrantsPanel, maskToken, useGrants } from "./GrantsPanel.js";
import { SignIn, wantsSignIn } from "./SignIn.js";
import { TeamPanel } from "./TeamPanel.js";
import { ToolChanges } from "./ToolChanges.js";

const STATE_TONE: Record<ServerStatus["state"], string> = {
  connected: "ok",
  starting: "wait",
  restarting: "warn",
  failed: "bad",
  stopped: "muted",
  "sign-in-needed": "warn",
};

export const TOKEN_PLACEHOLDER = "<your client token>";

/** A client config entry for Streamable HTTP, with the token (or a placeholder where it goes). */
export function clientConfig(server: ServerStatus, token: string = TOKEN_PLACEHOLDER): string {
  return JSON.stringify(
    {
      mcpServers: {
        [server.name]: { url: server.endpoint, headers: { Authorization: `Bearer ${token}` } },
      },
    },
    null,
    2,
  );
}

/** The grant a config snippet starts with: the first from tokens.json, else the first at all. */
export function defaultGrant(grants: readonly GrantInfo[] | undefined): string {
  return (grants?.find((g) => !g.fromCommandLine) ?? grants?.[0])?.name ?? "";
}

interface Props {
  servers: readonly ServerStatus[];
  toolChanges: readonly ToolChange[];
  /** Opens the policy editor with a starter policy for `server` as an unsaved edit. */
  onStarterPolicy?: (server: string, text: string) => void;
}

export function ServersView({ servers, toolChanges, onStarterPolicy }: Props) {
  const grants = useGrants();
  return (
    <div className="servers">
      <TeamPanel />
      {servers.length === 0 ? (
        <p className="muted">
          No upstream servers are configured. Protect a client below, or add servers to{" "}
          <code>servers.json</code> in the warden's data folder.
        </p>
      ) : (
        <>
          <ToolChanges changes={toolChanges} />
          {servers.map((server) => (
            <ServerCard
              key={server.name}
              server={server}
              grants={grants.list}
              onStarterPolicy={onStarterPolicy}
            />
          ))}
        </>
      )}
      <ClientsPanel onChanged={() => void grants.reload()} />
      <GrantsPanel grants={grants} />
    </div>
  );
}

interface CardProps {
  server: ServerStatus;
  grants: Grants["list"];
  onStarterPolicy: Props["onStarterPolicy"];
}

function ServerCard({ server, grants, onStarterPolicy }: CardProps) {
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
        {server.state === "connected" && onStarterPolicy && (
          <StarterPolicyButton server={server.name} onStarterPolicy={onStarterPolicy} />
        )}
      </header>
      {server.lastError && (
        <p className="error-text">
          <strong>Last error:</strong> {server.lastError}
        </p>
      )}
      {wantsSignIn(server) && <SignIn server={server} />}
      <div className="endpoint">
        <span className="label">Endpoint</span>
        <code className="endpoint-url">{server.endpoint}</code>
        <CopyButton text={server.endpoint} label={`Copy the endpoint of ${server.name}`} />
      </div>
      <ClientConfig server={server} grants={grants} />
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
            <ToolItem key={tool.name} tool={tool} />
          ))}
        </ul>
      </details>
    </section>
  );
}

function ToolItem({ tool }: { tool: ServerStatus["tools"][number] }) {
  const actions = tool.actions ? Object.entries(tool.actions) : [];
  return (
    <li className="tool-item">
      <div className="tool-line">
        <code>{tool.name}</code>
        {tool.risk && <RiskBadge risk={tool.risk} />}
        {tool.risk && <InferredTag risk={tool.risk} />}
        {tool.description && <span className="muted tool-description">{tool.description}</span>}
      </div>
      {actions.length > 0 && (
        <details className="tool-actions">
          <summary>
            {actions.length} {actions.length === 1 ? "action" : "actions"}
            <span className="visually-hidden"> of {tool.name}</span>
          </summary>
          <ul className="action-list" aria-label={`Actions of ${tool.name}`}>
            {actions.map(([action, risk]) => (
              <li key={action}>
                <code>{action}</code> <RiskLevelBadge risk={risk} />{" "}
                <span className="muted">
                  {risk.kind} — {risk.why}
                  {risk.source === "inferred" ? " (inferred)" : ""}
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

/** The config snippet for a client, with the token of a chosen grant (shown masked, copied in full). */
function ClientConfig({ server, grants }: { server: ServerStatus; grants: Grants["list"] }) {
  const [chosen, setChosen] = useState<string | undefined>();
  const name = chosen ?? defaultGrant(grants);
  const token = grants?.find((g) => g.name === name)?.token;
  const selectId = `config-token-${server.name}`;
  return (
    <details>
      <summary>Client configuration</summary>
      <div className="config-token">
        <label htmlFor={selectId}>Client token</label>
        <select id={selectId} value={token ? name : ""} onChange={(e) => setChosen(e.target.value)}>
          {(grants ?? []).map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
              {g.fromCommandLine ? " (command line)" : ""}
            </option>
          ))}
          <option value="">a placeholder</option>
        </select>
      </div>
      <pre className="json">{clientConfig(server, token ? maskToken(token) : undefined)}</pre>
      <div className="copy-after">
        <CopyButton
          text={clientConfig(server, token)}
          label={`Copy the client configuration for ${server.name}`}
        />
        {token && <span className="muted"> The token is hidden here; Copy includes it.</span>}
      </div>
    </details>
  );
}

function StarterPolicyButton({
  server,
  onStarterPolicy,
}: {
  server: string;
  onStarterPolicy: (server: string, text: string) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const load = async () => {
    setBusy(true);
    setProblem("");
    try {
      const result = await api.starterPolicy({ server });
      if (result.text !== undefined) onStarterPolicy(server, result.text);
      else setProblem(`No starter policy: ${result.error ?? "refused"}.`);
    } catch (e) {
      setProblem(`Could not reach the warden: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="starter">
      <button
        type="button"
        className="button small"
        disabled={busy}
        onClick={() => void load()}
        aria-label={`Starter policy for ${server}`}
        title="A policy from the risk of this server's tools, opened in the policy editor for review (not saved)"
      >
        Starter policy
      </button>
      {problem && (
        <span className="error-text" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}
