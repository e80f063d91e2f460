/**
 * The team this warden belongs to (settings.json "team"): the Redis connection's state, this member's
 * public key (for teammates to pin), the pinned members and who is online, the team-wide Deny-all with
 * who turned it on, and the statements refused lately (forged or replayed answers). Nothing is shown
 * when the warden is in no team.
 */
import { useEffect, useId, useState } from "react";
import type { TeamStatus } from "../../../shared/contract.js";
import { useApi } from "../api.js";
import { CopyButton } from "../ui/CopyButton.js";

const STATE_TONE: Record<TeamStatus["state"], string> = {
  connected: "ok",
  connecting: "wait",
  down: "bad",
  off: "muted",
};

/** The team's status, read on mount and kept current by the core's "team" events. */
function useTeam(): TeamStatus | undefined {
  const api = useApi();
  const [team, setTeam] = useState<TeamStatus>();
  useEffect(() => {
    let live = true;
    api.getTeam({}).then(
      (status) => live && setTeam(status),
      () => {},
    );
    const off = api.on("team", (status) => setTeam(status));
    return () => {
      live = false;
      off();
    };
  }, [api]);
  return team;
}

export function TeamPanel() {
  const api = useApi();
  const team = useTeam();
  const ids = useId();
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  if (!team?.configured) return null;

  const toggle = async () => {
    setBusy(true);
    try {
      const result = await api.setTeamDenyAll({ on: !team.denyAll.on });
      setProblem(result.ok ? "" : (result.error ?? "the team Deny-all did not change"));
    } catch (e) {
      setProblem((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card team" aria-labelledby={`${ids}-title`}>
      <header className="card-head">
        <h2 id={`${ids}-title`}>Team {team.team}</h2>
        <span className={`badge tone-${STATE_TONE[team.state]}`}>{team.state}</span>
        <span className="muted">
          as {team.member} · {team.redis}
        </span>
      </header>
      {team.lastError && team.state !== "connected" && (
        <p className="error-text">
          <strong>Redis:</strong> {team.lastError}. Calls that need a team-wide limit or a teammate's approval
          are refused until it is back; local rules keep working.
        </p>
      )}
      <div className="endpoint">
        <span className="label">Your public key</span>
        <code>{team.publicKey}</code>
        <CopyButton text={team.publicKey} label="Copy your public key" />
      </div>
      <ul className="team-members" aria-label="Members">
        {team.members.map((m) => (
          <li key={m.name}>
            <span className={`badge tone-${m.online ? "ok" : "muted"}`}>
              {m.online ? "online" : "offline"}
            </span>{" "}
            {m.name}
            {m.name === team.member ? " (you)" : ""}
            {m.admin ? " · admin" : ""}
            {m.keyMismatch ? (
              <span className="error-text"> · announces a key other than the pinned one</span>
            ) : null}
          </li>
        ))}
      </ul>
      <p>
        Team Deny-all is <strong>{team.denyAll.on ? "on" : "off"}</strong>
        {team.denyAll.on && team.denyAll.by ? ` (turned on by ${team.denyAll.by})` : ""}.{" "}
        <button type="button" disabled={busy || team.state !== "connected"} onClick={() => void toggle()}>
          {team.denyAll.on ? "Turn team Deny-all off" : "Turn team Deny-all on"}
        </button>
      </p>
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
      {team.refused.length > 0 && (
        <details>
          <summary>Refused lately ({team.refused.length})</summary>
          <ul>
            {team.refused.map((r) => (
              <li key={`${r.at}-${r.reason}`}>
                {new Date(r.at).toLocaleTimeString()} {r.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
