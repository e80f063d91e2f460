/**
 * Tells when an upstream server keeps crashing: restarted `threshold` times within `windowMs`, or given
 * up on by the core (state "failed"). Each episode is reported once; a server that stays up for a whole
 * window starts a new episode. Pure bookkeeping over the `servers` events, no timers.
 */
import type { ServerStatus } from "../../shared/contract.js";

/** Why a server is reported. */
export interface CrashReport {
  server: ServerStatus;
  /** Restarts within the window (for "crashing"). */
  recentRestarts: number;
  kind: "crashing" | "failed";
}

interface Track {
  restarts: number;
  times: number[];
  reportedCrashing: boolean;
  reportedFailed: boolean;
}

export class CrashWatch {
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #servers = new Map<string, Track>();

  constructor(options: { threshold?: number; windowMs?: number; now?: () => number } = {}) {
    this.#threshold = options.threshold ?? 3;
    this.#windowMs = options.windowMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes the latest server statuses; returns the servers that just started to count as crashing. */
  update(servers: readonly ServerStatus[]): CrashReport[] {
    const now = this.#now();
    const reports: CrashReport[] = [];
    for (const server of servers) {
      let track = this.#servers.get(server.name);
      if (!track) {
        track = { restarts: server.restarts, times: [], reportedCrashing: false, reportedFailed: false };
        this.#servers.set(server.name, track);
      }
      const recent = track.times.filter((t) => now - t < this.#windowMs);
      if (server.restarts > track.restarts) {
        if (recent.length === 0) track.reportedCrashing = false;
        for (let i = track.restarts; i < server.restarts; i++) recent.push(now);
      }
      track.restarts = server.restarts;
      track.times = recent;
      if (server.state === "failed") {
        if (!track.reportedFailed) {
          track.reportedFailed = true;
          track.reportedCrashing = true;
          reports.push({ server, recentRestarts: recent.length, kind: "failed" });
        }
        continue;
      }
      if (server.state === "connected") track.reportedFailed = false;
      if (recent.length >= this.#threshold && !track.reportedCrashing) {
        track.reportedCrashing = true;
        reports.push({ server, recentRestarts: recent.length, kind: "crashing" });
      }
    }
    return reports;
  }
}
