/**
 * The first-run welcome: the warden has no servers yet, and client configs were found on this computer.
 * It offers to protect them (the Clients panel) and is gone for the session once dismissed. Nothing is
 * remembered in storage: with servers configured, the welcome simply never shows.
 */
import { useCallback, useEffect, useState } from "react";
import type { FoundConfig } from "../../../shared/clients.js";
import type { WardenApi } from "../../../shared/contract.js";
import { ClientsPanel } from "../servers/ClientsPanel.js";

export function Welcome({
  found,
  serverCount,
  onDone,
}: {
  found: FoundConfig[];
  /** Servers the warden has now (they appear as a protected client's servers start). */
  serverCount: number;
  onDone: () => void;
}) {
  return (
    <section className="welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Welcome to MCP Warden</h2>
      {serverCount === 0 ? (
        <p>
          The warden guards your AI agents' tool calls, but it has no servers yet. It found{" "}
          {found.length === 1 ? "an MCP client config" : `${found.length} MCP client configs`} on this
          computer: <strong>Protect</strong> one to put its servers behind the warden, so every tool call
          passes your policy first (and the ones that can do harm ask you).
        </p>
      ) : (
        <p>
          The warden now guards {serverCount === 1 ? "1 server" : `${serverCount} servers`}: see them in{" "}
          <a href="#/servers">Servers</a>, where a starter policy for each is one click away.
        </p>
      )}
      <ClientsPanel initial={found} headingLevel={3} />
      <div className="welcome-actions">
        <button type="button" className="button" onClick={onDone}>
          Continue
        </button>
        <span className="muted">
          You can protect clients later from the <a href="#/servers">Servers</a> view.
        </span>
      </div>
    </section>
  );
}

/** Whether to welcome: undecided until the state is loaded; the found configs when it should show. */
export type WelcomeState = "undecided" | "no" | "dismissed" | FoundConfig[];

/**
 * Decides once per session: when the warden has no servers at first load and finds client configs, the
 * welcome shows until dismissed (it stays while the user protects a client, even as servers appear).
 */
export function useWelcome(api: WardenApi, loaded: boolean, serverCount: number): [WelcomeState, () => void] {
  const [state, setState] = useState<WelcomeState>("undecided");
  useEffect(() => {
    if (!loaded || state !== "undecided") return;
    if (serverCount > 0) {
      setState("no");
      return;
    }
    // Servers that arrive before the answer make the welcome pointless (the effect re-runs and says no).
    let current = true;
    api.findClients({}).then(
      (found) => current && setState(found.length > 0 ? found : "no"),
      () => current && setState("no"),
    );
    return () => {
      current = false;
    };
  }, [api, loaded, serverCount, state]);
  const dismiss = useCallback(() => setState("dismissed"), []);
  return [state, dismiss];
}
