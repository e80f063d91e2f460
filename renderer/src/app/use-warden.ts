/**
 * The live state every view shares, kept from the contract's events: the kill switch, the upstreams,
 * the pending approvals, the held tools and the buffered calls. Each is re-read whenever the event stream (re)opens,
 * so nothing missed while disconnected stays missing.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type {
  ApprovalEnd,
  AuditDiskState,
  PendingApproval,
  ServerStatus,
  ToolChange,
  WardenApi,
} from "../../../shared/contract.js";
import type { Connection, ConnectionStore } from "../bridge/index.js";
import { CallBuffer } from "../calls/call-buffer.js";

/** How many calls to ask the core for at start (its most). */
export const INITIAL_CALLS = 5_000;
/** How many older calls to ask for per page back through the log (the core's most). */
export const PAGE_CALLS = 5_000;

/** The bridge's connection, re-rendering on change. */
export function useConnection(store: ConnectionStore): Connection {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

export interface WardenLive {
  loaded: boolean;
  error: Error | undefined;
  denyAll: boolean;
  servers: ServerStatus[];
  /** Oldest first. */
  pending: PendingApproval[];
  /** Requests that ended while this view was open, newest first: how each ended is said, not just gone. */
  ended: EndedApproval[];
  /** Tools held back until the user accepts them. */
  toolChanges: ToolChange[];
  /** The audit log's disk state (a warning before it is full); undefined until the first snapshot. */
  auditDisk: AuditDiskState | undefined;
}

/** A request for approval that has ended, and how. */
export interface EndedApproval {
  approval: PendingApproval;
  end: ApprovalEnd;
  /** Epoch milliseconds, as this view saw it. */
  at: number;
}

/** How many ended requests are remembered. */
export const ENDED_KEPT = 20;

/** Events that arrived after a snapshot was asked for. */
interface EventsSince {
  denyAll?: boolean;
  servers?: ServerStatus[];
  toolChanges?: ToolChange[];
  auditDisk?: AuditDiskState;
  added: Map<string, PendingApproval>;
  ended: Set<string>;
}

function emptySince(): EventsSince {
  return { added: new Map(), ended: new Set() };
}

/** The kill switch, the servers, the pending approvals and the held tools. */
export function useWardenLive(api: WardenApi, generation: number): WardenLive {
  const [live, setLive] = useState<WardenLive>({
    loaded: false,
    error: undefined,
    denyAll: false,
    servers: [],
    pending: [],
    ended: [],
    toolChanges: [],
    auditDisk: undefined,
  });

  // What events said while a snapshot (getState) was on its way: the snapshot may be older than they are,
  // so they are laid over it when it arrives instead of being lost under it.
  const since = useRef<EventsSince>(emptySince());

  useEffect(() => {
    const offs = [
      api.on("denyAll", ({ on }) => {
        since.current.denyAll = on;
        setLive((s) => ({ ...s, denyAll: on }));
      }),
      api.on("servers", (servers) => {
        since.current.servers = servers;
        setLive((s) => ({ ...s, servers }));
      }),
      api.on("approvalAdded", (approval) => {
        since.current.added.set(approval.id, approval);
        setLive((s) =>
          s.pending.some((p) => p.id === approval.id) ? s : { ...s, pending: [...s.pending, approval] },
        );
      }),
      api.on("approvalEnded", ({ id, end }) => {
        since.current.ended.add(id);
        setLive((s) => {
          const approval = s.pending.find((p) => p.id === id) ?? since.current.added.get(id);
          const ended = approval
            ? [{ approval, end, at: Date.now() }, ...s.ended.filter((e) => e.approval.id !== id)].slice(
                0,
                ENDED_KEPT,
              )
            : s.ended;
          return { ...s, pending: s.pending.filter((p) => p.id !== id), ended };
        });
      }),
      api.on("toolChanges", (toolChanges) => {
        since.current.toolChanges = toolChanges;
        setLive((s) => ({ ...s, toolChanges }));
      }),
      api.on("auditDisk", (auditDisk) => {
        since.current.auditDisk = auditDisk;
        setLive((s) => ({ ...s, auditDisk }));
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [api]);

  useEffect(() => {
    if (generation === 0) return;
    let current = true;
    since.current = emptySince();
    Promise.all([api.getState({}), api.listToolChanges({})]).then(
      ([state, toolChanges]) => {
        if (!current) return;
        const events = since.current;
        const pending = [
          ...state.pending,
          ...[...events.added.values()].filter((a) => !state.pending.some((p) => p.id === a.id)),
        ]
          .filter((p) => !events.ended.has(p.id))
          .sort((a, b) => a.createdAt - b.createdAt);
        setLive((s) => ({
          loaded: true,
          error: undefined,
          ended: s.ended,
          denyAll: events.denyAll ?? state.denyAll,
          servers: events.servers ?? state.servers,
          pending,
          toolChanges: events.toolChanges ?? toolChanges,
          auditDisk: events.auditDisk ?? state.auditDisk,
        }));
      },
      (error: Error) => current && setLive((s) => ({ ...s, error })),
    );
    return () => {
      current = false;
    };
  }, [api, generation]);

  return live;
}

/** Where the list of loaded calls ends, and whether older calls can be read back from the log. */
export type OlderState =
  /** Older calls may be loaded. */
  | "more"
  /** A request is on its way (the newest calls at start, or a page back). */
  | "loading"
  /** The log's first call is held: there is nothing older. */
  | "start"
  /** The buffer holds as many calls as it may (the newest): older ones are not loaded. */
  | "full"
  /** The last request failed; `load` tries again. */
  | "error";

export interface OlderCalls {
  state: OlderState;
  /** Why the last request failed (state "error"). */
  error?: string;
  /**
   * Asks for the next page back through the log, the calls older than the oldest held. Does nothing while a
   * request is on its way, once the start of the log is held or when the buffer is full: it can be called
   * on every scroll.
   */
  load(): void;
}

export interface LiveCalls {
  buffer: CallBuffer;
  version: number;
  older: OlderCalls;
}

export interface CallsOptions {
  /** The view re-renders at most this often while calls stream in. */
  batchMs?: number;
  /** The most calls held (the buffer's capacity). */
  capacity?: number;
}

/** What is known about the oldest end of the buffer. */
interface EndState {
  /** The newest calls have been read once. */
  ready: boolean;
  /** Reading the newest calls failed before they were ever read. */
  newestError?: string;
  paging: "idle" | "loading" | "start" | "error";
  pageError?: string;
}

/**
 * The buffered calls. Events are applied as they come; the view re-renders at most every `batchMs`,
 * so a burst of calls costs one render, not one per call. At start (and on every reconnect) the newest
 * calls are read; `older.load()` then pages back through the log, one page at a time, until its start
 * or until the buffer is full.
 */
export function useCalls(
  api: WardenApi,
  generation: number,
  { batchMs = 150, capacity }: CallsOptions = {},
): LiveCalls {
  const buffer = useRef<CallBuffer>(null);
  if (!buffer.current) buffer.current = new CallBuffer(capacity);
  const [version, setVersion] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The end's state is read synchronously by `load` (two scroll events in one frame must not both ask),
  // so it lives in a ref; the state copy re-renders.
  const endRef = useRef<EndState>({ ready: false, paging: "idle" });
  const [end, setEndState] = useState<EndState>(endRef.current);
  const setEnd = useCallback((patch: Partial<EndState>) => {
    endRef.current = { ...endRef.current, ...patch };
    setEndState(endRef.current);
  }, []);
  const [attempt, setAttempt] = useState(0);

  const changed = useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      setVersion(buffer.current?.version ?? 0);
    }, batchMs);
  }, [batchMs]);

  useEffect(() => {
    const off = api.on("call", (record) => {
      buffer.current?.upsert(record);
      changed();
    });
    return () => {
      off();
      clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [api, changed]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt says when to try again after a failure
  useEffect(() => {
    if (generation === 0) return;
    let current = true;
    api.listCalls({ limit: INITIAL_CALLS }).then(
      (calls) => {
        if (!current) return;
        const held = buffer.current;
        if (!held) return;
        held.load(calls);
        // Rendered together, so the list is never seen ready but empty (which would ask for older calls).
        setVersion(held.version);
        const paging = endRef.current.paging === "error" ? "idle" : endRef.current.paging;
        setEnd({ ready: true, newestError: undefined, paging, pageError: undefined });
      },
      (error: Error) => {
        if (current && !endRef.current.ready) setEnd({ newestError: error.message });
      },
    );
    return () => {
      current = false;
    };
  }, [api, generation, setEnd, attempt]);

  const load = useCallback(() => {
    const held = buffer.current;
    const now = endRef.current;
    if (!held) return;
    if (!now.ready) {
      if (now.newestError !== undefined) {
        setEnd({ newestError: undefined });
        setAttempt((a) => a + 1);
      }
      return;
    }
    if (now.paging === "loading" || now.paging === "start" || held.dropped || held.full) return;
    const oldest = held.oldest;
    if (!oldest) {
      // The log was empty when its newest calls were read: everything since has come as events.
      setEnd({ paging: "start" });
      return;
    }
    setEnd({ paging: "loading", pageError: undefined });
    api.listCalls({ limit: PAGE_CALLS, before: { id: oldest.id, ts: oldest.ts } }).then(
      (page) => {
        if (page.length === 0) {
          setEnd({ paging: "start" });
          return;
        }
        const added = held.addOlder(oldest.id, page);
        if (added === 0 && !held.dropped) {
          // Asking again from the same call would get the same page.
          setEnd({ paging: "error", pageError: "the warden sent no calls older than those shown" });
          return;
        }
        setEnd({ paging: "idle" });
        setVersion(held.version);
      },
      (error: Error) => setEnd({ paging: "error", pageError: error.message }),
    );
  }, [api, setEnd]);

  const held = buffer.current;
  const state: OlderState = held.dropped
    ? "full"
    : end.paging === "start"
      ? "start"
      : held.full
        ? "full"
        : !end.ready
          ? end.newestError !== undefined
            ? "error"
            : "loading"
          : end.paging === "idle"
            ? "more"
            : end.paging;
  const error = !end.ready ? end.newestError : end.pageError;
  const older = useMemo(
    () => ({ state, load, ...(state === "error" && error !== undefined ? { error } : {}) }),
    [state, error, load],
  );

  return { buffer: held, version, older };
}
