/** Replay: which recorded calls the edited policy would decide differently. */
import { useState } from "react";
import type { ReplayResult } from "../api.js";
import { useApi } from "../api.js";
import { Revealed } from "../approvals/Revealed.js";
import { argsSummary } from "../calls/filter.js";
import { clockTime, duration } from "../format.js";
import { VerdictBadge } from "../ui/badges.js";
import { REPLAY_LIMIT, replayPolicy } from "./replay.js";

export function ReplayPanel({ draft, denyAll }: { draft: string; denyAll: boolean }) {
  const api = useApi();
  const [result, setResult] = useState<{ policy: string; replay: ReplayResult; ms: number }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");

  const run = async () => {
    setBusy(true);
    setProblem("");
    const started = performance.now();
    try {
      const replay = await replayPolicy(api, draft, REPLAY_LIMIT);
      setResult({ policy: draft, replay, ms: performance.now() - started });
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const stale = result && result.policy !== draft;
  return (
    <div className="replay">
      <p>
        Decides the last {REPLAY_LIMIT.toLocaleString("en")} recorded calls with the edited policy and lists
        each call whose decision would change.
      </p>
      {denyAll && <p className="warning">Deny-all is on, so every call is denied under either policy.</p>}
      <button type="button" className="button primary" onClick={run} disabled={busy}>
        {busy ? "Replaying…" : "Replay recorded calls"}
      </button>
      <div role="status" aria-live="polite" className="replay-result">
        {problem && <p className="error-text">{problem}</p>}
        {stale && <p className="muted">The policy has been edited since this replay: run it again.</p>}
        {result && result.replay.errors.length > 0 && (
          <p className="error-text">
            The edited policy is invalid:{" "}
            {result.replay.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}
          </p>
        )}
        {result && result.replay.errors.length === 0 && (
          <p className="replay-summary">
            {result.replay.changed.length === 0
              ? `No change: all ${result.replay.total} recorded calls would be decided the same way.`
              : `${result.replay.changed.length} of ${result.replay.total} recorded calls would be decided differently.`}{" "}
            <span className="muted">({duration(result.ms)})</span>
          </p>
        )}
      </div>
      {result && result.replay.changed.length > 0 && (
        <table className="replay-table">
          <caption className="visually-hidden">Calls whose decision would change</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Call</th>
              <th scope="col">Now</th>
              <th scope="col">Edited</th>
              <th scope="col">Rule</th>
            </tr>
          </thead>
          <tbody>
            {result.replay.changed.map((change) => (
              <tr key={change.call.id} data-call-id={change.call.id}>
                <td>{clockTime(change.call.ts)}</td>
                <td>
                  <strong>
                    <Revealed text={`${change.call.server}/${change.call.tool}`} />
                  </strong>{" "}
                  <span className="muted">{argsSummary(change.call.args, 60)}</span>
                </td>
                <td>
                  <VerdictBadge verdict={change.before} />
                </td>
                <td>
                  <VerdictBadge verdict={change.after} />
                </td>
                <td>
                  <code>{change.rule}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
