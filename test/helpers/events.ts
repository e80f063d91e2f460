/** A warden's event stream (`GET /api/events`) as a test awaits it: the next event of a kind that matches. */
import { readSse } from "../../main/core/proxy/sse.js";
import type { WardenEvents } from "../../shared/contract.js";
import { ADMIN_TOKEN, type RunningWarden } from "./warden.js";

export interface EventWatch {
  /** Resolves with the first event of `name` (seen since the watch opened) that `match` accepts. */
  next<E extends keyof WardenEvents>(
    name: E,
    match?: (data: WardenEvents[E]) => boolean,
    ms?: number,
  ): Promise<WardenEvents[E]>;
  close(): void;
}

/** Follows a warden's events; resolves once the stream is open, so nothing sent after is missed. */
export async function watchEvents(w: RunningWarden): Promise<EventWatch> {
  const abort = new AbortController();
  const seen: { event: string; data: unknown }[] = [];
  const waiters = new Set<() => void>();
  const res = await fetch(`${w.url}/api/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: abort.signal,
  });
  if (!res.body) throw new Error("no event stream");
  void readSse(res.body, 1 << 20, (e) => {
    seen.push({ event: e.event, data: JSON.parse(e.data) });
    for (const wake of waiters) wake();
  }).catch(() => {});
  return {
    next(name, match = () => true, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = seen.find((s) => s.event === name && match(s.data as never));
          if (!found) return;
          waiters.delete(look);
          clearTimeout(timer);
          resolve(found.data as never);
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no ${name} event in ${ms} ms`));
        }, ms);
        waiters.add(look);
        look();
      });
    },
    close: () => abort.abort(),
  };
}
