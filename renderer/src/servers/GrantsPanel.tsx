/**
 * Client tokens (grants): one named bearer token per MCP client. Listed masked (Show reveals one, Copy copies
 * it), created with a name, revoked after a confirmation. Grants given on the command line (`--token`,
 * `--grant`) live as long as the process and cannot be revoked here.
 */
import { type FormEvent, useCallback, useEffect, useId, useState } from "react";
import type { GrantInfo } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { CopyButton } from "../ui/CopyButton.js";

/** A token with all but its last four characters hidden (all of it when it is short). */
export function maskToken(token: string): string {
  return token.length > 12 ? `${"•".repeat(8)}${token.slice(-4)}` : "•".repeat(8);
}

export interface Grants {
  /** Undefined until first read. */
  list: GrantInfo[] | undefined;
  error: string;
  reload: () => Promise<void>;
}

/** The grants, read on mount and whenever `reload` is called (after a change made here). */
export function useGrants(): Grants {
  const api = useApi();
  const [list, setList] = useState<GrantInfo[]>();
  const [error, setError] = useState("");
  const reload = useCallback(async () => {
    try {
      setList(await api.listGrants({}));
      setError("");
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  useEffect(() => {
    void reload();
    return api.on("grants", (grants) => setList(grants));
  }, [api, reload]);
  return { list, error, reload };
}

export function GrantsPanel({ grants }: { grants: Grants }) {
  const api = useApi();
  const ids = useId();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<GrantInfo>();
  const [problem, setProblem] = useState("");
  const [shown, setShown] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<string>();
  const [revoked, setRevoked] = useState("");

  const toggleShown = (grant: string) =>
    setShown((s) => {
      const next = new Set(s);
      if (!next.delete(grant)) next.add(grant);
      return next;
    });

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = name.trim();
    if (!wanted || busy) return;
    setBusy(true);
    setProblem("");
    setCreated(undefined);
    setRevoked("");
    try {
      const result = await api.createGrant({ name: wanted });
      if (result.ok && result.grant) {
        setCreated(result.grant);
        setName("");
        await grants.reload();
      } else {
        setProblem(`Could not create the token: ${result.error ?? "refused"}.`);
      }
    } catch (e) {
      setProblem(`Could not reach the warden: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (grant: string) => {
    setBusy(true);
    setProblem("");
    setRevoked("");
    try {
      const result = await api.revokeGrant({ name: grant });
      if (result.ok) {
        setRevoked(`Revoked "${grant}": its token no longer works.`);
        setConfirming(undefined);
        if (created?.name === grant) setCreated(undefined);
        await grants.reload();
      } else {
        setProblem(`Could not revoke "${grant}": ${result.error ?? "refused"}.`);
      }
    } catch (e) {
      setProblem(`Could not reach the warden: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card grants" aria-labelledby={`${ids}-title`}>
      <header className="card-head">
        <h2 id={`${ids}-title`}>Client tokens</h2>
      </header>
      <p className="muted">
        Each MCP client gets its own named token: the log records which client made each call, and limits with{" "}
        <code>scope: "grant"</code> count per client. A client sends it as{" "}
        <code>Authorization: Bearer …</code>. Revoking a token stops it at once.
      </p>
      {grants.error && <p className="error-text">Cannot read the client tokens: {grants.error}</p>}
      {grants.list === undefined && !grants.error && <p className="muted">Reading the client tokens…</p>}
      {grants.list?.length === 0 && <p className="muted">No client tokens yet: create one below.</p>}
      {grants.list && grants.list.length > 0 && (
        <table className="grants-table" aria-label="Client tokens">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Token</th>
              <th scope="col">
                <span className="visually-hidden">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.list.map((grant) => {
              const visible = shown.has(grant.name);
              return (
                <tr key={grant.name}>
                  <th scope="row">
                    {grant.name}{" "}
                    {grant.fromCommandLine && (
                      <span
                        className="badge tone-muted"
                        title="Given with --token-file or --grant: lives as long as the warden process"
                      >
                        command line
                      </span>
                    )}
                  </th>
                  <td>
                    <div className="token-cell">
                      <code className="token" data-grant={grant.name}>
                        {visible ? grant.token : maskToken(grant.token)}
                      </code>
                      <button
                        type="button"
                        className="button small"
                        aria-pressed={visible}
                        aria-label={`Show the token of ${grant.name}`}
                        onClick={() => toggleShown(grant.name)}
                      >
                        {visible ? "Hide" : "Show"}
                      </button>
                      <CopyButton text={grant.token} label={`Copy the token of ${grant.name}`} />
                    </div>
                  </td>
                  <td className="revoke-cell">
                    {grant.fromCommandLine ? (
                      <span className="muted" title="Restart the warden without it to remove it">
                        cannot be revoked here
                      </span>
                    ) : confirming === grant.name ? (
                      <span className="confirm">
                        <span>Revoke? Clients using it are refused at once.</span>
                        <button
                          type="button"
                          className="button small deny"
                          disabled={busy}
                          onClick={() => void revoke(grant.name)}
                        >
                          Yes, revoke {grant.name}
                        </button>
                        <button
                          type="button"
                          className="button small"
                          onClick={() => setConfirming(undefined)}
                        >
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        className="button small"
                        aria-label={`Revoke ${grant.name}`}
                        onClick={() => setConfirming(grant.name)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form className="grant-form" aria-label="New client token" onSubmit={create}>
        <label>
          New client token for
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. cursor"
            aria-describedby={`${ids}-name-hint`}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          Create token
        </button>
        <span className="muted" id={`${ids}-name-hint`}>
          Letters, digits, <code>_ . -</code>
        </span>
      </form>
      <div role="status" className="grant-status">
        {created && (
          <p className="ok-text created-token">
            Created a token for "{created.name}": <code className="token">{created.token}</code>{" "}
            <CopyButton text={created.token} label={`Copy the new token of ${created.name}`} />
          </p>
        )}
        {revoked && <p className="ok-text">{revoked}</p>}
      </div>
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
