/**
 * The approval prompt: the oldest waiting call, in full, with a countdown to its deadline and a count of
 * the others. Nothing approves by accident: focus starts on the arguments (never on Approve), Enter does
 * not press Approve, Approve is disabled for a moment after a new request appears (so a click or key
 * meant for the previous one cannot land on it), and Escape denies. Approve always sends the call hash of
 * the request shown, so a call that changed meanwhile is not approved; optionally it also approves the same
 * call (same tool, same arguments) for a few minutes.
 */
import { type KeyboardEvent as ReactKeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import type { PendingApproval } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { clockTime, countdown, prettyJson } from "../format.js";
import { InferredTag, RiskBadge, UnknownRiskBadge } from "../ui/risk.js";
import { Revealed, RevealedSegments } from "./Revealed.js";
import { revealedCharacters, revealUnicode } from "./reveal.js";

/** How long Approve stays disabled after a request appears. */
export const ARMING_MS = 800;

/** The choices for "also approve this exact call for N minutes". */
export const STANDING_MINUTES = [5, 15, 60] as const;

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

interface Props {
  /** Oldest first; the first is shown. */
  pending: readonly PendingApproval[];
  /** In its own window (`#/approval`), the prompt is the whole page. */
  standalone?: boolean;
}

export function ApprovalPrompt({ pending, standalone = false }: Props) {
  const api = useApi();
  const current = pending[0];
  const currentId = current?.id;
  const [busy, setBusy] = useState(false);
  const [armed, setArmed] = useState(false);
  const [message, setMessage] = useState("");
  const [standing, setStanding] = useState(false);
  const [minutes, setMinutes] = useState<number>(15);
  const ids = useId();
  const argsRef = useRef<HTMLPreElement>(null);
  const now = useNow(250);

  useEffect(() => {
    if (!currentId) return;
    setArmed(false);
    setBusy(false);
    // A standing approval is chosen for one request: a new request starts without it.
    setStanding(false);
    argsRef.current?.focus();
    const timer = setTimeout(() => setArmed(true), ARMING_MS);
    return () => clearTimeout(timer);
  }, [currentId]);

  const answer = async (approve: boolean) => {
    if (!current || busy) return;
    setBusy(true);
    try {
      const forMinutes = approve && standing ? minutes : undefined;
      const result = approve
        ? await api.approve({
            id: current.id,
            callHash: current.callHash,
            ...(forMinutes !== undefined ? { forMinutes } : {}),
          })
        : await api.deny({ id: current.id });
      setMessage(
        result.ok
          ? `${approve ? "Approved" : "Denied"} ${current.tool} on ${current.server}${
              forMinutes !== undefined
                ? `, and the same call for ${forMinutes} ${forMinutes === 1 ? "minute" : "minutes"}`
                : ""
            }.`
          : `Could not ${approve ? "approve" : "deny"}: ${result.error ?? "the request has ended"}.`,
      );
    } catch (error) {
      setMessage(`Could not reach the warden: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const answerRef = useRef(answer);
  answerRef.current = answer;
  useEffect(() => {
    if (!currentId) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !event.defaultPrevented) {
        event.preventDefault();
        void answerRef.current(false);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [currentId]);

  const args = useMemo(
    () => (current ? revealUnicode(prettyJson(current.args), { allowNewlines: true }) : []),
    [current],
  );
  const suspicious = useMemo(() => revealedCharacters(args), [args]);

  if (!current) {
    return (
      <section
        className={`approval empty-approval${standalone ? " standalone" : ""}`}
        aria-labelledby="approval-title"
      >
        <h2 id="approval-title">Approvals</h2>
        <p>No call is waiting for your approval.</p>
        <p className="status-line" role="status">
          {message}
        </p>
      </section>
    );
  }

  const total = Math.max(1, current.deadline - current.createdAt);
  // The clock ticks every 250 ms, so a request that just arrived may look a moment longer than its timeout.
  const left = Math.min(total, current.deadline - now);
  const risk = current.risk;
  const others = pending.length - 1;
  const blockEnter = (event: ReactKeyboardEvent) => {
    if (event.key === "Enter") event.preventDefault();
  };

  return (
    <section className={`approval${standalone ? " standalone" : ""}`} aria-labelledby="approval-title">
      <header className="approval-head">
        <h2 id="approval-title">
          Approve <Revealed text={current.tool} />?
        </h2>
        {risk ? <RiskBadge risk={risk} /> : <UnknownRiskBadge />}
        {risk && <InferredTag risk={risk} />}
        {others > 0 && (
          <span className="queue" aria-live="polite">
            {others} more waiting
          </span>
        )}
      </header>

      <dl className="facts">
        <dt>Client</dt>
        <dd>
          <Revealed text={current.client} />
        </dd>
        <dt>Server</dt>
        <dd>
          <Revealed text={current.server} />
        </dd>
        <dt>Tool</dt>
        <dd>
          <code>
            <Revealed text={current.tool} />
          </code>
          {current.operation && current.operation !== current.tool && (
            <>
              {" "}
              (operation <code>{current.operation}</code>)
            </>
          )}
        </dd>
        <dt>Rule</dt>
        <dd>
          <code>{current.rule}</code>
        </dd>
        <dt>Reason</dt>
        <dd>{current.reason || "—"}</dd>
        {risk && (
          <>
            <dt>Risk</dt>
            <dd className="risk-why">
              {risk.why}{" "}
              <span className="muted">
                ({risk.kind}, {risk.level}
                {risk.action ? `, action ${risk.action}` : ""}
                {risk.source === "inferred" ? ", inferred" : ""})
              </span>
            </dd>
          </>
        )}
      </dl>

      <h3 id="approval-args-title">Arguments</h3>
      {suspicious.length > 0 && (
        <div className="warning" role="note">
          <strong>Look closely:</strong> the arguments contain characters that can disguise text, shown as
          escapes:
          <ul>
            {suspicious.map((s) => (
              <li key={s.escape}>
                <code>{s.escape}</code> {s.label}
                {s.count > 1 ? ` (${s.count}×)` : ""}
              </li>
            ))}
          </ul>
        </div>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so the keyboard can scroll it */}
      <pre className="json approval-args" tabIndex={0} ref={argsRef}>
        <RevealedSegments segments={args} />
      </pre>

      <div className="countdown" role="timer" aria-label="Time left to answer">
        <div className="countdown-bar" aria-hidden="true">
          <div style={{ width: `${Math.max(0, Math.min(100, (left / total) * 100))}%` }} />
        </div>
        <span>
          Denied automatically in <strong>{countdown(left)}</strong> (at {clockTime(current.deadline)})
        </span>
      </div>

      <div className="standing">
        <label className="check">
          <input
            type="checkbox"
            checked={standing}
            onChange={(e) => setStanding(e.target.checked)}
            aria-describedby={`${ids}-standing-note`}
          />
          Also approve this exact call for
        </label>
        <select
          aria-label="Minutes to approve this exact call for"
          value={minutes}
          onChange={(e) => {
            setMinutes(Number(e.target.value));
            setStanding(true);
          }}
        >
          {STANDING_MINUTES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <span>minutes</span>
        <p className="muted standing-note" id={`${ids}-standing-note`}>
          The same client calling the same tool with the same arguments goes through without asking until
          then.
        </p>
      </div>

      <div className="approval-actions">
        <button type="button" className="button deny" onClick={() => void answer(false)} disabled={busy}>
          Deny <kbd>Esc</kbd>
        </button>
        <button
          type="button"
          className="button approve"
          onClick={() => void answer(true)}
          onKeyDown={blockEnter}
          disabled={busy || !armed}
          title="Click to approve (Enter does not approve)"
        >
          Approve
        </button>
      </div>
      <p className="status-line" role="status">
        {message}
      </p>
    </section>
  );
}
