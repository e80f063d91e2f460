/**
 * Tools the core holds back until the user accepts them: new since the server was first seen, changed
 * since they were pinned (shown as a diff of the definitions), or named with characters that can disguise
 * them as another tool. Held tools are hidden from agents and refused.
 */
import { useMemo, useState } from "react";
import type { ToolChange } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { Revealed, RevealedSegments } from "../approvals/Revealed.js";
import { revealUnicode } from "../approvals/reveal.js";
import { fullTime, prettyJson } from "../format.js";
import { LineDiff } from "../ui/LineDiff.js";

const KIND_LABEL: Record<ToolChange["kind"], string> = {
  new: "new tool",
  changed: "changed since it was accepted",
  "suspicious-name": "name can pass for another tool",
};

export function ToolChanges({ changes }: { changes: readonly ToolChange[] }) {
  if (changes.length === 0) return null;
  return (
    <section className="card held" aria-labelledby="held-title">
      <h2 id="held-title">
        Tools held back <span className="badge tone-warn">{changes.length}</span>
      </h2>
      <p className="muted">
        Agents do not see these tools and calls to them are refused until you accept them. Check what each
        does before you do.
      </p>
      <ul className="held-list">
        {changes.map((change) => (
          <HeldTool key={`${change.server}\u0000${change.tool}`} change={change} />
        ))}
      </ul>
    </section>
  );
}

function HeldTool({ change }: { change: ToolChange }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const definition = useMemo(
    () => revealUnicode(prettyJson(change.current), { allowNewlines: true }),
    [change],
  );

  const accept = async () => {
    setBusy(true);
    setProblem("");
    try {
      const result = await api.acceptToolChange({ server: change.server, tool: change.tool });
      if (!result.ok) setProblem(result.error ?? "the core refused");
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="held-tool">
      <div className="held-head">
        <strong>
          <Revealed text={change.tool} />
        </strong>
        <span className="muted">on {change.server}</span>
        <span className={`badge ${change.kind === "new" ? "tone-wait" : "tone-bad"}`}>
          {KIND_LABEL[change.kind]}
        </span>
        <span className="muted">since {fullTime(change.detectedAt)}</span>
        <button
          type="button"
          className="button small"
          onClick={accept}
          disabled={busy}
          aria-label={`Accept ${change.tool} on ${change.server}`}
        >
          Accept
        </button>
      </div>
      {change.current.description && (
        <p className="held-description">
          <Revealed text={change.current.description} />
        </p>
      )}
      {problem && <p className="error-text">Could not accept: {problem}</p>}
      <details open={change.kind !== "new"}>
        <summary>{change.pinned ? "What changed" : "Definition"}</summary>
        {change.pinned ? (
          <LineDiff
            before={prettyJson(change.pinned)}
            after={prettyJson(change.current)}
            label={`Changes to ${change.tool}'s definition`}
            beforeName="Accepted"
            afterName="Current"
          />
        ) : (
          <pre className="json">
            <RevealedSegments segments={definition} />
          </pre>
        )}
      </details>
    </li>
  );
}
