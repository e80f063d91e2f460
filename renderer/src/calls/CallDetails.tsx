/**
 * One call in full: arguments (pretty, disguising characters revealed), the rule, the reason, and the
 * upstream's result (read with `getCall` when the call is opened, and again when its outcome arrives).
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { CallRecord } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { Revealed, RevealedSegments } from "../approvals/Revealed.js";
import { revealUnicode } from "../approvals/reveal.js";
import { duration, fullTime, OUTCOME_LABEL, prettyJson, upstreamTime } from "../format.js";
import { StatusBadge } from "../ui/badges.js";

export function CallDetails({ call, onClose }: { call: CallRecord; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const args = useMemo(() => revealUnicode(prettyJson(call.args), { allowNewlines: true }), [call.args]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: move focus when another call is opened
  useEffect(() => heading.current?.focus(), [call.id]);
  const result = useCallResult(call);

  return (
    <section
      className="details"
      aria-labelledby="call-details-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className="details-head">
        <h2 id="call-details-title" tabIndex={-1} ref={heading}>
          <Revealed text={call.server} /> / <Revealed text={call.tool} />
        </h2>
        <button type="button" className="button small" onClick={onClose} aria-label="Close call details">
          Close
        </button>
      </header>
      <dl className="facts">
        <dt>Decision</dt>
        <dd>
          <StatusBadge status={call.status} />
        </dd>
        <dt>Rule</dt>
        <dd>
          <code>{call.rule}</code>
        </dd>
        <dt>Reason</dt>
        <dd>{call.reason || "—"}</dd>
        {call.operation && (
          <>
            <dt>Operation</dt>
            <dd>
              <code>{call.operation}</code>
            </dd>
          </>
        )}
        <dt>Time</dt>
        <dd>{fullTime(call.ts)}</dd>
        <dt>Client</dt>
        <dd>
          {call.client} <span className="muted">session {call.session}</span>
        </dd>
        {call.waitedMs !== undefined && (
          <>
            <dt>Waited for a human</dt>
            <dd>{duration(call.waitedMs)}</dd>
          </>
        )}
        {upstreamTime(call) !== undefined && (
          <>
            <dt>Upstream</dt>
            <dd>{duration(upstreamTime(call))}</dd>
          </>
        )}
        <dt>{call.waitedMs !== undefined ? "In all" : "Latency"}</dt>
        <dd>{duration(call.latencyMs) || "—"}</dd>
        <dt>Outcome</dt>
        <dd>{call.outcome ? OUTCOME_LABEL[call.outcome] : "—"}</dd>
        {call.error && (
          <>
            <dt>Error</dt>
            <dd className="pre">{call.error}</dd>
          </>
        )}
        <dt>Call id</dt>
        <dd>
          <code>{call.id}</code>
        </dd>
      </dl>
      <h3>Arguments</h3>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so the keyboard can scroll it */}
      <pre className="json" tabIndex={0}>
        <RevealedSegments segments={args} />
      </pre>
      <h3>Result</h3>
      <CallResultView result={result} />
    </section>
  );
}

/** The result as the core keeps it: the upstream's answer, or a preview when it was over 64 KB. */
type ResultState =
  | { kind: "loading" }
  | { kind: "none" }
  | { kind: "failed"; message: string }
  | { kind: "shown"; text: string; truncated: boolean };

/** A result cut by the core: `{truncated: true, preview}` (the first 64 KB of its JSON). */
export function truncatedPreview(result: unknown): string | undefined {
  if (!result || typeof result !== "object" || Array.isArray(result)) return undefined;
  const r = result as { truncated?: unknown; preview?: unknown };
  return r.truncated === true && typeof r.preview === "string" && Object.keys(r).length === 2
    ? r.preview
    : undefined;
}

function useCallResult(call: CallRecord): ResultState {
  const api = useApi();
  const [state, setState] = useState<ResultState>({ kind: "loading" });
  // Read again when the call is answered (status and outcome change), not on every render.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the id, status and outcome say when to read
  useEffect(() => {
    let current = true;
    setState({ kind: "loading" });
    api.getCall({ id: call.id }).then(
      ({ result }) => {
        if (!current) return;
        if (result === undefined) return setState({ kind: "none" });
        const preview = truncatedPreview(result);
        setState(
          preview !== undefined
            ? { kind: "shown", text: preview, truncated: true }
            : { kind: "shown", text: prettyJson(result), truncated: false },
        );
      },
      (error: Error) => current && setState({ kind: "failed", message: error.message }),
    );
    return () => {
      current = false;
    };
  }, [api, call.id, call.status, call.outcome]);
  return state;
}

function CallResultView({ result }: { result: ResultState }) {
  const segments = useMemo(
    () => (result.kind === "shown" ? revealUnicode(result.text, { allowNewlines: true }) : []),
    [result],
  );
  if (result.kind === "loading") return <p className="muted">Reading the result…</p>;
  if (result.kind === "failed")
    return <p className="error-text">Could not read the result: {result.message}</p>;
  if (result.kind === "none") {
    return (
      <p className="muted">
        No result: the call was not forwarded, has not been answered yet, or is too old to be kept.
      </p>
    );
  }
  return (
    <>
      {result.truncated && (
        <p className="warning" role="note">
          Truncated: the result was over 64 KB; this is the start of its JSON.
        </p>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so the keyboard can scroll it */}
      <pre className="json call-result" tabIndex={0}>
        <RevealedSegments segments={segments} />
      </pre>
    </>
  );
}
