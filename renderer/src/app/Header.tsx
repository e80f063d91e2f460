/** The header: name, upstream status and the Deny-all switch. */
import { useState } from "react";
import type { ServerStatus } from "../../../shared/contract.js";
import { useApi } from "../api.js";

/** One line about the upstreams: how many are connected, and the worst state among the rest. */
export function upstreamSummary(servers: readonly ServerStatus[]): { text: string; tone: string } {
  if (servers.length === 0) return { text: "no servers", tone: "muted" };
  const connected = servers.filter((s) => s.state === "connected").length;
  const failed = servers.filter((s) => s.state === "failed").length;
  const text = `${connected}/${servers.length} connected${failed ? `, ${failed} failed` : ""}`;
  return { text, tone: failed ? "bad" : connected === servers.length ? "ok" : "warn" };
}

interface Props {
  denyAll: boolean;
  servers: readonly ServerStatus[];
}

export function Header({ denyAll, servers }: Props) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const upstream = upstreamSummary(servers);

  const toggle = async () => {
    setBusy(true);
    setProblem("");
    try {
      await api.setDenyAll({ on: !denyAll });
    } catch (error) {
      setProblem(`Could not switch Deny-all: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <header className={`app-header${denyAll ? " deny-all-on" : ""}`}>
      <div className="brand">
        <svg viewBox="0 0 24 24" aria-hidden="true" className="logo">
          <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5z" />
        </svg>
        <span>MCP Warden</span>
      </div>
      <a className={`upstream tone-${upstream.tone}`} href="#/servers" title="Upstream servers">
        <span className="dot" aria-hidden="true" />
        <span className="visually-hidden">Upstream servers: </span>
        {upstream.text}
      </a>
      <button
        type="button"
        role="switch"
        aria-checked={denyAll}
        className="deny-all"
        onClick={toggle}
        disabled={busy}
        title={
          denyAll ? "Every call is denied. Click to resume deciding by policy." : "Deny every call at once"
        }
      >
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        Deny all
      </button>
      {problem && (
        <p className="error-text header-problem" role="alert">
          {problem}
        </p>
      )}
    </header>
  );
}
