/**
 * Replay: how the edited policy would have decided the recorded calls (the last 1,000, or those since a
 * chosen time), listing each call whose decision would change. The core decides them again, oldest first,
 * with limits played out in order.
 */
import { type FormEvent, useId, useState } from "react";
import type { ReplayChange } from "../../../shared/contract.js";
import type { PolicyError } from "../../../shared/policy-schema.js";
import { useApi } from "../api.js";
import { Revealed } from "../approvals/Revealed.js";
import { argsSummary } from "../calls/filter.js";
import { clockTime, duration, fullTime } from "../format.js";
import { VerdictBadge } from "../ui/badges.js";

/** How many recorded calls a replay covers by default. */
export const REPLAY_LIMIT = 1_000;
/** The most the core replays (its listCalls bound). */
const REPLAY_MAX = 5_000;

interface Replayed {
  policy: string;
  changed: ReplayChange[];
  total: number;
  errors: PolicyError[];
  ms: number;
}

/** `YYYY-MM-DDTHH:MM` in local time, for a datetime-local input. */
function localInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export function ReplayPanel({ draft }: { draft: string }) {
  const api = useApi();
  const id = useId();
  const [range, setRange] = useState<"last" | "since">("last");
  const [since, setSince] = useState(() => localInput(Date.now() - 3_600_000));
  const [result, setResult] = useState<Replayed>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");

  const run = async (event: FormEvent) => {
    event.preventDefault();
    const from = new Date(since).getTime();
    if (range === "since" && Number.isNaN(from)) {
      setProblem("Pick a start time.");
      return;
    }
    setBusy(true);
    setProblem("");
    const started = performance.now();
    try {
      const replay = await api.replay(
        range === "last"
          ? { policy: draft, limit: REPLAY_LIMIT }
          : { policy: draft, limit: REPLAY_MAX, since: from },
      );
      const changed = [...replay.changed].sort((a, b) => b.call.ts - a.call.ts);
      setResult({ policy: draft, ...replay, changed, ms: performance.now() - started });
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
        Decides the recorded calls again with the edited policy and lists each call whose decision would
        change.
      </p>
      <form onSubmit={run} aria-label="Replay">
        <fieldset className="inline">
          <legend>Calls</legend>
          <label>
            <input
              type="radio"
              name={`${id}-range`}
              checked={range === "last"}
              onChange={() => setRange("last")}
            />
            the last {REPLAY_LIMIT.toLocaleString("en")}
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-range`}
              checked={range === "since"}
              onChange={() => setRange("since")}
            />
            since
          </label>
          <input
            type="datetime-local"
            aria-label="Since"
            value={since}
            disabled={range !== "since"}
            onChange={(e) => setSince(e.target.value)}
          />
        </fieldset>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Replaying…" : "Replay recorded calls"}
        </button>
      </form>
      <div role="status" aria-live="polite" className="replay-result">
        {problem && <p className="error-text">{problem}</p>}
        {stale && <p className="muted">The policy has been edited since this replay: run it again.</p>}
        {result && result.errors.length > 0 && (
          <p className="error-text">
            The edited policy is invalid: {result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}
          </p>
        )}
        {result && result.errors.length === 0 && (
          <p className="replay-summary">
            {result.changed.length === 0
              ? `No change: all ${result.total} recorded calls would be decided the same way.`
              : `${result.changed.length} of ${result.total} recorded calls would be decided differently.`}{" "}
            <span className="muted">({duration(result.ms)})</span>
          </p>
        )}
      </div>
      {result && result.changed.length > 0 && (
        <table className="replay-table">
          <caption className="visually-hidden">Calls whose decision would change</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Call</th>
              <th scope="col">Was</th>
              <th scope="col">Would be</th>
              <th scope="col">Rule and reason</th>
            </tr>
          </thead>
          <tbody>
            {result.changed.map((change) => (
              <tr key={change.call.id} data-call-id={change.call.id}>
                <td className="replay-time">
                  <time dateTime={new Date(change.call.ts).toISOString()} title={fullTime(change.call.ts)}>
                    {clockTime(change.call.ts)}
                  </time>
                </td>
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
                  {change.reason && <div className="muted">{change.reason}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
