/**
 * The MCP client configs on this computer (Claude Desktop, Cursor, Claude Code, VS Code): how many servers
 * each lists and how many already reach the warden. Protect puts a file's servers behind the warden (its
 * servers move into the warden's servers file, which the core applies at once, and the client's entries
 * point at the warden's endpoints with the client's own token); Undo puts the file back.
 */
import { useCallback, useEffect, useId, useState } from "react";
import type {
  ClientId,
  EntryResult,
  FoundConfig,
  UnwrapResult,
  WrapResult,
} from "../../../shared/clients.js";
import { useApi } from "../api.js";

type Outcome =
  | { kind: "busy"; what: "protect" | "undo" }
  | { kind: "wrapped"; result: WrapResult }
  | { kind: "unwrapped"; result: UnwrapResult }
  | { kind: "failed"; message: string };

const OUTCOME_LABEL: Record<EntryResult["outcome"], string> = {
  moved: "moved",
  "already-wrapped": "already through the warden",
  disabled: "disabled, left alone",
  unsupported: "not supported, left alone",
};

const OUTCOME_TONE: Record<EntryResult["outcome"], string> = {
  moved: "ok",
  "already-wrapped": "muted",
  disabled: "muted",
  unsupported: "warn",
};

const keyOf = (found: { client: ClientId; path: string }) => `${found.client}\u0000${found.path}`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface Props {
  /** The configs already found (the welcome found them); read again after each change. */
  initial?: FoundConfig[];
  /** After Protect or Undo changed something (grants and servers may have changed). */
  onChanged?: () => void;
  /** The heading level: 2 in the Servers view, 3 inside the welcome. */
  headingLevel?: 2 | 3;
}

export function ClientsPanel({ initial, onChanged, headingLevel = 2 }: Props) {
  const api = useApi();
  const titleId = useId();
  const [found, setFound] = useState<FoundConfig[] | undefined>(initial);
  const [loadError, setLoadError] = useState("");
  const [outcomes, setOutcomes] = useState<ReadonlyMap<string, Outcome>>(new Map());

  const reload = useCallback(async () => {
    try {
      setFound(await api.findClients({}));
      setLoadError("");
    } catch (e) {
      setLoadError((e as Error).message);
    }
  }, [api]);
  const hadInitial = initial !== undefined;
  useEffect(() => {
    if (!hadInitial) void reload();
  }, [reload, hadInitial]);

  const setOutcome = (key: string, outcome: Outcome) => setOutcomes((m) => new Map(m).set(key, outcome));

  const act = async (config: FoundConfig, what: "protect" | "undo") => {
    const key = keyOf(config);
    setOutcome(key, { kind: "busy", what });
    const params = { client: config.client, path: config.path };
    try {
      const answer = what === "protect" ? await api.wrapClient(params) : await api.unwrapClient(params);
      if (!answer.ok || !answer.result) {
        setOutcome(key, {
          kind: "failed",
          message: `Could not ${what === "protect" ? "protect" : "undo"}: ${answer.error ?? "refused"}.`,
        });
      } else if (what === "protect") {
        setOutcome(key, { kind: "wrapped", result: answer.result as WrapResult });
      } else {
        setOutcome(key, { kind: "unwrapped", result: answer.result as UnwrapResult });
      }
    } catch (e) {
      setOutcome(key, { kind: "failed", message: `Could not reach the warden: ${(e as Error).message}` });
    }
    await reload();
    onChanged?.();
  };

  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <section className="card clients" aria-labelledby={titleId}>
      <header className="card-head">
        <Heading id={titleId}>Clients</Heading>
      </header>
      <p className="muted">
        MCP client configs on this computer. <strong>Protect</strong> moves a client's servers behind the
        warden: the client then reaches them through the warden with its own token, and every tool call passes
        your policy. The original file is backed up; <strong>Undo</strong> puts it back.
      </p>
      {loadError && <p className="error-text">Cannot look for client configs: {loadError}</p>}
      {found === undefined && !loadError && <p className="muted">Looking for client configs…</p>}
      {found?.length === 0 && (
        <p className="muted">
          No client config found (Claude Desktop, Cursor, Claude Code, VS Code). Add servers to{" "}
          <code>servers.json</code> in the warden's data folder instead.
        </p>
      )}
      {found && found.length > 0 && (
        <ul className="client-list">
          {found.map((config) => {
            const key = keyOf(config);
            const outcome = outcomes.get(key);
            const busy = outcome?.kind === "busy";
            const label = `${config.label}: ${config.path}`;
            return (
              <li key={key} className="client-config">
                {/* biome-ignore lint/a11y/useSemanticElements: a group of one file's facts and buttons; a fieldset is for forms */}
                <div role="group" aria-label={label}>
                  <div className="client-head">
                    <strong>{config.label}</strong>
                    <code className="client-path">{config.path}</code>
                  </div>
                  {config.error ? (
                    <p className="error-text">Cannot read this file: {config.error}</p>
                  ) : (
                    <p className="client-counts">
                      {plural(config.servers, "server")}, {config.wrapped} already through the warden
                    </p>
                  )}
                  <div className="client-actions">
                    <button
                      type="button"
                      className="button primary"
                      disabled={busy || Boolean(config.error) || config.servers === config.wrapped}
                      title={
                        config.servers > 0 && config.servers === config.wrapped
                          ? "Every server in this file already goes through the warden"
                          : undefined
                      }
                      onClick={() => void act(config, "protect")}
                    >
                      {outcome?.kind === "busy" && outcome.what === "protect" ? "Protecting…" : "Protect"}
                    </button>
                    {(config.wrapped > 0 || outcome?.kind === "wrapped") && (
                      <button
                        type="button"
                        className="button"
                        disabled={busy}
                        onClick={() => void act(config, "undo")}
                      >
                        {outcome?.kind === "busy" && outcome.what === "undo" ? "Undoing…" : "Undo"}
                      </button>
                    )}
                  </div>
                  <div role="status" className="client-outcome">
                    {outcome && <OutcomeView outcome={outcome} clientLabel={config.label} />}
                  </div>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function OutcomeView({ outcome, clientLabel }: { outcome: Outcome; clientLabel: string }) {
  switch (outcome.kind) {
    case "busy":
      return null;
    case "failed":
      return <p className="error-text">{outcome.message}</p>;
    case "wrapped": {
      const { result } = outcome;
      return (
        <div className="wrap-result">
          <p>
            {result.changed
              ? `Protected: the file now points at the warden with the client token "${result.grant}".`
              : "Nothing needed changing: no file was written."}
          </p>
          <ul className="entry-list">
            {result.entries.map((entry) => (
              <li key={entry.label}>
                <code>{entry.label}</code>{" "}
                <span className={`badge tone-${OUTCOME_TONE[entry.outcome]}`}>
                  {OUTCOME_LABEL[entry.outcome]}
                </span>
                {entry.server && (
                  <>
                    {" "}
                    → warden server <code>{entry.server}</code>
                  </>
                )}
                {entry.note && <span className="muted"> — {entry.note}</span>}
              </li>
            ))}
          </ul>
          {result.changed && (
            <p>
              <strong>Restart {clientLabel} to use it.</strong>
            </p>
          )}
          {result.backup && (
            <p className="muted">
              The original is kept at <code>{result.backup}</code>.
            </p>
          )}
        </div>
      );
    }
    case "unwrapped": {
      const { result } = outcome;
      return (
        <div className="wrap-result">
          <p>
            {result.exact
              ? "Undone: the file is back exactly as it was."
              : `Undone: put back ${plural(result.restored.length, "entry", "entries")} (the file had changed since, so the rest of it was kept).`}
          </p>
          {!result.exact && result.restored.length > 0 && (
            <ul className="entry-list">
              {result.restored.map((label) => (
                <li key={label}>
                  <code>{label}</code>
                </li>
              ))}
            </ul>
          )}
          {result.removedServers.length > 0 && (
            <p>
              Taken out of the warden's servers:{" "}
              {result.removedServers.map((s, i) => (
                <span key={s}>
                  {i > 0 && ", "}
                  <code>{s}</code>
                </span>
              ))}
              .
            </p>
          )}
          {result.keptServers.length > 0 && (
            <ul className="entry-list">
              {result.keptServers.map((k) => (
                <li key={k.server}>
                  Kept <code>{k.server}</code> in the warden's servers: {k.why}
                </li>
              ))}
            </ul>
          )}
          {result.grantRemoved && <p>Its client token was revoked.</p>}
          <p>
            <strong>Restart {clientLabel} to use it.</strong>
          </p>
        </div>
      );
    }
  }
}
