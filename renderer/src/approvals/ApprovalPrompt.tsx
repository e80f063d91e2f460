/**
 * The approval prompt: what the call will do first ("Stop VM prod-api on virt?"), who asks, the risk and
 * what its limit leaves; then the call in full. The queue beside it lists every waiting request with its
 * countdown (any can be opened) and the ones that just ended with how each ended, so a request never
 * disappears unexplained. The headline, the countdown and Approve/Deny stay in view however long the
 * arguments are: only the details scroll. Nothing approves by accident: focus starts on the arguments (never on Approve), Enter does
 * not press Approve, Approve is disabled for a moment after a new request appears (so a click or key
 * meant for the previous one cannot land on it), and Escape denies. Approve always sends the call hash of
 * the request shown, so a call that changed meanwhile is not approved; optionally it also approves the same
 * call (same tool, same arguments) for a few minutes.
 */
import { type KeyboardEvent as ReactKeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { contextLine, END_WORDS, headlineText } from "../../../shared/approval-text.js";
import type { ApprovalEnd, PendingApproval } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import type { EndedApproval } from "../app/use-warden.js";
import { clockTime, countdown, prettyJson } from "../format.js";
import { InferredTag, RiskBadge, UnknownRiskBadge } from "../ui/risk.js";
import { Asker } from "./Asker.js";
import { Headline } from "./Headline.js";
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
  /** Oldest first; the first is shown until another is opened. */
  pending: readonly PendingApproval[];
  /** Requests that ended, newest first (how each ended is shown in the queue). */
  ended?: readonly EndedApproval[];
  /** In its own window (`#/approval`), the prompt is the whole page. */
  standalone?: boolean;
}

/** What is said about a request that ended, naming it: never left under the next request unexplained. */
interface Notice {
  id: string;
  text: string;
  tone: "ok" | "bad" | "warn";
}

const END_TONE: Record<ApprovalEnd, Notice["tone"]> = {
  approved: "ok",
  denied: "bad",
  "timed-out": "warn",
  "deny-all": "bad",
  cancelled: "warn",
};

/** "Stop VM prod-api on virt: approved." */
function endedText(approval: PendingApproval, words: string): string {
  return `${headlineText(approval).replace(/\?$/, "")}: ${words}.`;
}

export function ApprovalPrompt({ pending, ended = [], standalone = false }: Props) {
  const api = useApi();
  const [openedId, setOpenedId] = useState<string>();
  const current = pending.find((p) => p.id === openedId) ?? pending[0];
  const currentId = current?.id;
  const [busy, setBusy] = useState(false);
  const [armed, setArmed] = useState(false);
  const [message, setMessage] = useState("");
  const [notice, setNotice] = useState<Notice>();
  const [standing, setStanding] = useState(false);
  const [minutes, setMinutes] = useState<number>(15);
  const ids = useId();
  const argsRef = useRef<HTMLPreElement>(null);
  const answered = useRef(new Set<string>());
  const shownRef = useRef<string | undefined>(undefined);
  const now = useNow(250);

  useEffect(() => {
    if (!currentId) return;
    setArmed(false);
    setBusy(false);
    setMessage("");
    // A standing approval is chosen for one request: a new request starts without it.
    setStanding(false);
    // Focus, not scroll: the details start at the policy's reason, above the arguments.
    argsRef.current?.focus({ preventScroll: true });
    const timer = setTimeout(() => setArmed(true), ARMING_MS);
    return () => clearTimeout(timer);
  }, [currentId]);

  // The request on screen ended elsewhere (timeout, Deny-all, another window, the client gave up): say so.
  useEffect(() => {
    const shown = shownRef.current;
    const over = ended.find((e) => e.approval.id === shown);
    if (!shown || !over || answered.current.has(shown)) return;
    setNotice({ id: shown, text: endedText(over.approval, END_WORDS[over.end]), tone: END_TONE[over.end] });
  }, [ended]);
  useEffect(() => {
    if (currentId) shownRef.current = currentId;
  }, [currentId]);

  const open = (id: string) => {
    setOpenedId(id);
    setNotice(undefined);
  };

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
      if (result.ok) {
        answered.current.add(current.id);
        const also =
          forMinutes !== undefined
            ? `, and the same call for ${forMinutes} ${forMinutes === 1 ? "minute" : "minutes"}`
            : "";
        setNotice({
          id: current.id,
          text: endedText(current, `${approve ? "approved" : "denied"} by you${also}`),
          tone: approve ? "ok" : "bad",
        });
      } else {
        setMessage(`Could not ${approve ? "approve" : "deny"}: ${result.error ?? "the request has ended"}.`);
      }
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
  const className = `approval${standalone ? " standalone" : ""}${current ? "" : " empty-approval"}`;
  const queue = (pending.length > 1 || ended.length > 0) && (
    <Queue pending={pending} ended={ended} shown={currentId} now={now} onOpen={open} />
  );
  const said = notice && (
    <p className={`approval-notice tone-${notice.tone}`} role="status">
      {notice.text}
    </p>
  );

  if (!current) {
    return (
      <section className={className} aria-labelledby="approval-title">
        <div className="approval-request">
          <h2 id="approval-title">Approvals</h2>
          {said}
          <p>No call is waiting for your approval.</p>
        </div>
        {queue}
      </section>
    );
  }

  const total = Math.max(1, current.deadline - current.createdAt);
  // The clock ticks every 250 ms, so a request that just arrived may look a moment longer than its timeout.
  const left = Math.min(total, current.deadline - now);
  const risk = current.risk;
  const context = contextLine(current);
  const blockEnter = (event: ReactKeyboardEvent) => {
    if (event.key === "Enter") event.preventDefault();
  };

  return (
    <section className={className} aria-labelledby="approval-title">
      <div className="approval-request">
        <header className="approval-head">
          {said}
          <h2 id="approval-title">
            <Headline approval={current} />
          </h2>
          <p className="asker">
            Asked{" "}
            {current.team && (
              <>
                on <Revealed text={current.team.requester} />
                's warden{" "}
              </>
            )}
            by{" "}
            <strong>
              <Asker approval={current} />
            </strong>{" "}
            · <Revealed text={current.server} />/<Revealed text={current.tool} />
          </p>
          <p className="risk-line">
            {risk ? <RiskBadge risk={risk} /> : <UnknownRiskBadge />} {risk && <InferredTag risk={risk} />}{" "}
            <span className="risk-why">
              {risk ? risk.why : "The server's tool list did not describe this tool."}
            </span>
          </p>
          {context && <p className="limit-line">{context}</p>}
        </header>

        <div className="approval-body">
          <dl className="facts">
            <dt>Policy</dt>
            <dd>{current.reason || "this call asks a human"}</dd>
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
              {risk?.action && (
                <>
                  {" "}
                  · action <code>{risk.action}</code>
                </>
              )}
            </dd>
            <dt>Rule</dt>
            <dd>
              <code className="muted">{current.rule}</code>
            </dd>
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
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the arguments take focus first, so nothing lands on Approve */}
          <pre className="json approval-args" tabIndex={0} ref={argsRef}>
            <RevealedSegments segments={args} />
          </pre>
        </div>

        <footer className="approval-foot">
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
            <span className="visually-hidden" id={`${ids}-standing-note`}>
              The same client calling the same tool with the same arguments goes through without asking until
              then.
            </span>
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
          {message && (
            <p className="status-line" role="alert">
              {message}
            </p>
          )}
        </footer>
      </div>
      {queue}
    </section>
  );
}

/** Every waiting request with its countdown (any can be opened), then the ones that just ended and how. */
function Queue({
  pending,
  ended,
  shown,
  now,
  onOpen,
}: {
  pending: readonly PendingApproval[];
  ended: readonly EndedApproval[];
  shown: string | undefined;
  now: number;
  onOpen: (id: string) => void;
}) {
  return (
    <nav className="approval-queue" aria-label="Approval queue">
      {pending.length > 0 && (
        <>
          <h3 id="queue-waiting">Waiting for approval ({pending.length})</h3>
          <ol aria-labelledby="queue-waiting">
            {pending.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className="queue-item"
                  aria-current={p.id === shown ? "true" : undefined}
                  onClick={() => onOpen(p.id)}
                >
                  <span className="queue-headline">
                    <Headline approval={p} />
                  </span>
                  <span className="queue-meta">
                    <Asker approval={p} /> · <span role="timer">{countdown(p.deadline - now)}</span> left
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </>
      )}
      {ended.length > 0 && (
        <>
          <h3 id="queue-ended">Just ended</h3>
          <ol aria-labelledby="queue-ended" className="queue-ended">
            {ended.map((e) => (
              <li key={e.approval.id} className={`tone-${END_TONE[e.end]}`}>
                <span className="queue-headline">
                  <Headline approval={e.approval} />
                </span>
                <span className="queue-meta">
                  {END_WORDS[e.end]} · {clockTime(e.at)}
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </nav>
  );
}
