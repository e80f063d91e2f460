/** Dry run: one call (server, tool, arguments) against the edited or the running policy. */
import { type FormEvent, useId, useMemo, useState } from "react";
import type { Decision, ServerStatus } from "../../../shared/contract.js";
import type { PolicyError } from "../../../shared/policy-schema.js";
import { useApi } from "../api.js";
import { duration } from "../format.js";
import { VerdictBadge } from "../ui/badges.js";
import { ServerSelect } from "../ui/ServerSelect.js";

interface Props {
  servers: readonly ServerStatus[];
  draft: string;
}

export function DryRunPanel({ servers, draft }: Props) {
  const api = useApi();
  const id = useId();
  const [server, setServer] = useState(servers[0]?.name ?? "");
  const [tool, setTool] = useState("");
  const [args, setArgs] = useState("{}");
  const [client, setClient] = useState("");
  const [which, setWhich] = useState<"edited" | "running">("edited");
  const [result, setResult] = useState<{ decision?: Decision; errors: PolicyError[]; problem?: string }>();
  const [busy, setBusy] = useState(false);
  const tools = useMemo(
    () => servers.find((s) => s.name === server)?.tools.map((t) => t.name) ?? [],
    [servers, server],
  );

  const run = async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (error) {
      setResult({ errors: [], problem: `The arguments are not valid JSON: ${(error as Error).message}` });
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      setResult({ errors: [], problem: "The arguments must be a JSON object." });
      return;
    }
    setBusy(true);
    try {
      setResult(
        await api.dryRun({
          server,
          tool,
          args: parsed as Record<string, unknown>,
          ...(client.trim() ? { client: client.trim() } : {}),
          ...(which === "edited" ? { policy: draft } : {}),
        }),
      );
    } catch (error) {
      setResult({ errors: [], problem: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="dry-run" onSubmit={run} aria-label="Dry run">
      <div className="form-grid">
        <ServerSelect servers={servers} value={server} onChange={setServer} />
        <label>
          Tool
          <input list={`${id}-tools`} value={tool} onChange={(e) => setTool(e.target.value)} required />
          <datalist id={`${id}-tools`}>
            {tools.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          <span>
            Client <span className="muted">(optional grant name)</span>
          </span>
          <input value={client} onChange={(e) => setClient(e.target.value)} placeholder="dry-run" />
        </label>
      </div>
      <label className="block">
        Arguments (JSON)
        <textarea
          className="mono"
          rows={4}
          value={args}
          onChange={(e) => setArgs(e.target.value)}
          spellCheck={false}
        />
      </label>
      <fieldset className="inline">
        <legend>Policy</legend>
        <label>
          <input
            type="radio"
            name={`${id}-which`}
            checked={which === "edited"}
            onChange={() => setWhich("edited")}
          />
          edited
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-which`}
            checked={which === "running"}
            onChange={() => setWhich("running")}
          />
          running
        </label>
      </fieldset>
      <button type="submit" className="button primary" disabled={busy || !server || !tool}>
        Run dry run
      </button>
      <div className="dry-run-result" role="status" aria-live="polite">
        {result?.problem && <p className="error-text">{result.problem}</p>}
        {result && result.errors.length > 0 && (
          <p className="error-text">
            The {which} policy is invalid: {result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}
          </p>
        )}
        {result?.decision && <DecisionFacts decision={result.decision} />}
      </div>
    </form>
  );
}

function DecisionFacts({ decision }: { decision: Decision }) {
  return (
    <dl className="facts decision">
      <dt>Decision</dt>
      <dd>
        <VerdictBadge verdict={decision.verdict} />
        {decision.denial && <span className="muted"> ({decision.denial})</span>}
      </dd>
      <dt>Rule</dt>
      <dd>
        <code className="dry-run-rule">{decision.rule}</code>
      </dd>
      <dt>Reason</dt>
      <dd>{decision.reason || "—"}</dd>
      {decision.operation && (
        <>
          <dt>Operation</dt>
          <dd>
            <code>{decision.operation}</code>
          </dd>
        </>
      )}
      {decision.limit && (
        <>
          <dt>Limit</dt>
          <dd>
            {decision.limit.counter}: {decision.limit.max} per {decision.limit.window} per{" "}
            {decision.limit.scope}
            {decision.retryAfterMs !== undefined && `; frees up in ${duration(decision.retryAfterMs)}`}
          </dd>
        </>
      )}
      {decision.approvalTimeoutMs !== undefined && (
        <>
          <dt>Approval timeout</dt>
          <dd>{duration(decision.approvalTimeoutMs)}</dd>
        </>
      )}
    </dl>
  );
}
