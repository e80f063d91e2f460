/**
 * The live state every view shares, kept from the contract's events: the kill switch, the upstreams,
 * the pending approvals, the held tools and the buffered calls. Each is re-read whenever the event stream (re)opens,
 * so nothing missed while disconnected stays missing.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { PendingApproval, ServerStatus, ToolChange, WardenApi } from "../../../shared/contract.js";
import type { Connection, ConnectionStore } from "../bridge/index.js";
import { CallBuffer } from "../calls/call-buffer.js";

/** How many calls to ask the core for at start (its most). */
export const INITIAL_CALLS = 5_000;

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
  /** Tools held back until the user accepts them. */
  toolChanges: ToolChange[];
}

/** The kill switch, the servers, the pending approvals and the held tools. */
export function useWardenLive(api: WardenApi, generation: number): WardenLive {
  const [live, setLive] = useState<WardenLive>({
    loaded: false,
    error: undefined,
    denyAll: false,
    servers: [],
    pending: [],
    toolChanges: [],
  });

  useEffect(() => {
    const offs = [
      api.on("denyAll", ({ on }) => setLive((s) => ({ ...s, denyAll: on }))),
      api.on("servers", (servers) => setLive((s) => ({ ...s, servers }))),
      api.on("approvalAdded", (approval) =>
        setLive((s) =>
          s.pending.some((p) => p.id === approval.id) ? s : { ...s, pending: [...s.pending, approval] },
        ),
      ),
      api.on("approvalEnded", ({ id }) =>
        setLive((s) => ({ ...s, pending: s.pending.filter((p) => p.id !== id) })),
      ),
      api.on("toolChanges", (toolChanges) => setLive((s) => ({ ...s, toolChanges }))),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [api]);

  useEffect(() => {
    if (generation === 0) return;
    let current = true;
    Promise.all([api.getState({}), api.listToolChanges({})]).then(
      ([state, toolChanges]) => {
        if (!current) return;
        const pending = [...state.pending].sort((a, b) => a.createdAt - b.createdAt);
        setLive({
          loaded: true,
          error: undefined,
          denyAll: state.denyAll,
          servers: state.servers,
          pending,
          toolChanges,
        });
      },
      (error: Error) => current && setLive((s) => ({ ...s, error })),
    );
    return () => {
      current = false;
    };
  }, [api, generation]);

  return live;
}

/**
 * The buffered calls. Events are applied as they come; the view re-renders at most every `batchMs`,
 * so a burst of calls costs one render, not one per call.
 */
export function useCalls(
  api: WardenApi,
  generation: number,
  batchMs = 150,
): { buffer: CallBuffer; version: number } {
  const buffer = useRef<CallBuffer>(null);
  if (!buffer.current) buffer.current = new CallBuffer();
  const [version, setVersion] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

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

  useEffect(() => {
    if (generation === 0) return;
    let current = true;
    api.listCalls({ limit: INITIAL_CALLS }).then(
      (calls) => {
        if (!current) return;
        buffer.current?.load(calls);
        changed();
      },
      () => {},
    );
    return () => {
      current = false;
    };
  }, [api, generation, changed]);

  return { buffer: buffer.current, version };
}
