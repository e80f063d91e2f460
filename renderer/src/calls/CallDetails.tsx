/** One call in full: arguments (pretty, disguising characters revealed), the rule and the reason. */
import { useEffect, useMemo, useRef } from "react";
import type { CallRecord } from "../../../shared/contract.js";
import { Revealed, RevealedSegments } from "../approvals/Revealed.js";
import { revealUnicode } from "../approvals/reveal.js";
import { duration, fullTime, prettyJson } from "../format.js";
import { StatusBadge } from "../ui/badges.js";

export function CallDetails({ call, onClose }: { call: CallRecord; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const args = useMemo(() => revealUnicode(prettyJson(call.args), { allowNewlines: true }), [call.args]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: move focus when another call is opened
  useEffect(() => heading.current?.focus(), [call.id]);

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
        <dt>Latency</dt>
        <dd>{duration(call.latencyMs) || "—"}</dd>
        <dt>Outcome</dt>
        <dd>{call.outcome ?? "—"}</dd>
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
    </section>
  );
}
