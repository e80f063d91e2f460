/**
 * Live calls: newest first, streaming, filtered by server, tool and decision, searched by arguments.
 * The list is virtualised (only the rows in view exist in the DOM), so 100,000 calls stay fluid. Scrolled
 * toward its end, it pages back through the log (older calls are added below), until the start of the log
 * or until the buffer is full; filters and search apply to the calls loaded.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import {
  type KeyboardEvent,
  useDeferredValue,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import type { CallRecord, CallStatus, ServerStatus } from "../../../shared/contract.js";
import type { OlderCalls } from "../app/use-warden.js";
import { escapeDisguises } from "../approvals/reveal.js";
import { clockTime, duration, OUTCOME_LABEL, STATUS_LABEL, STATUSES, upstreamTime } from "../format.js";
import { StatusBadge } from "../ui/badges.js";
import { downloadText } from "../ui/download.js";
import { CallDetails } from "./CallDetails.js";
import { CallsChart } from "./CallsChart.js";
import { ConnectAgent } from "./ConnectAgent.js";
import type { CallBuffer } from "./call-buffer.js";
import { toCsv, toJsonl } from "./export.js";
import { argsSummary, type CallFilter, callMatcher, NO_FILTER } from "./filter.js";

export const ROW_HEIGHT = 40;
/** Older calls are asked for once the rows in view come this close to the end of the list. */
export const LOAD_AHEAD_ROWS = 60;

interface Props {
  buffer: CallBuffer;
  version: number;
  servers: readonly ServerStatus[];
  /** Paging back through the log; without it, the buffer is all there is. */
  older?: OlderCalls;
}

export function CallsView({ buffer, version, servers, older }: Props) {
  const [filter, setFilter] = useState<CallFilter>(NO_FILTER);
  const deferredFilter = useDeferredValue(filter);
  const [selected, setSelected] = useState<string | undefined>();
  const [focusIndex, setFocusIndex] = useState(0);
  const scrollRef = useRef<HTMLDivElement>(null);
  const ids = useId();

  // biome-ignore lint/correctness/useExhaustiveDependencies: version says when the buffer changed
  const rows = useMemo(() => buffer.filter(callMatcher(deferredFilter)), [buffer, version, deferredFilter]);
  const widths = useMemo(() => nameWidths(rows), [rows]);

  const serverNames = useMemo(() => {
    const names = new Set(servers.map((s) => s.name));
    if (filter.server) names.add(filter.server);
    return [...names].sort();
  }, [servers, filter.server]);
  const toolNames = useMemo(() => {
    const names = new Set(
      servers
        .filter((s) => !filter.server || s.name === filter.server)
        .flatMap((s) => s.tools.map((t) => t.name)),
    );
    if (filter.tool) names.add(filter.tool);
    return [...names].sort();
  }, [servers, filter.server, filter.tool]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 800, height: 480 },
    getItemKey: (index) => rows[index]?.id ?? index,
  });

  // Near the end of the list (or with every loaded call in view), ask for the next page back. `load` does
  // nothing while a page is on its way or once there is nothing more to load; each page that arrives
  // changes the state, so a filter that keeps few of a page's calls goes on to the next one.
  const lastInView = virtualizer.getVirtualItems().at(-1)?.index ?? -1;
  const nearEnd = lastInView >= rows.length - 1 - LOAD_AHEAD_ROWS;
  const olderState = older?.state;
  const loadOlder = older?.load;
  // The number of calls held changes with every page that arrives, even when the render that showed the
  // page as loading was batched away (olderState then reads "more" before and after): the paging goes on.
  const held = buffer.size;
  useEffect(() => {
    if (held >= 0 && nearEnd && olderState === "more") loadOlder?.();
  }, [nearEnd, olderState, loadOlder, held]);

  const filtered = Boolean(
    deferredFilter.server || deferredFilter.tool || deferredFilter.status || deferredFilter.search.trim(),
  );
  const loaded = buffer.size.toLocaleString("en");

  const selectedCall = selected ? buffer.get(selected) : undefined;
  const update = (patch: Partial<CallFilter>) => setFilter((f) => ({ ...f, ...patch }));

  const focusRow = (index: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setFocusIndex(next);
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() =>
      scrollRef.current?.querySelector<HTMLButtonElement>(`[data-index="${next}"] button`)?.focus(),
    );
  };

  const onListKey = (event: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: focusIndex + 1,
      ArrowUp: focusIndex - 1,
      PageDown: focusIndex + page,
      PageUp: focusIndex - page,
      Home: 0,
      End: rows.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    focusRow(target);
  };

  useEffect(() => {
    if (focusIndex >= rows.length && rows.length > 0) setFocusIndex(rows.length - 1);
  }, [rows.length, focusIndex]);

  // Scrolled down, new calls arriving on top must not push the rows being read out of view: keep the
  // top row where it was. At the top, the list simply shows the newest.
  const shown = useRef<readonly CallRecord[]>(rows);
  useLayoutEffect(() => {
    const scroller = scrollRef.current;
    const before = shown.current;
    shown.current = rows;
    if (!scroller || scroller.scrollTop === 0 || before === rows) return;
    const top = Math.floor(scroller.scrollTop / ROW_HEIGHT);
    const anchor = before[top];
    if (!anchor) return;
    let at = top;
    while (at < rows.length && rows[at]?.id !== anchor.id) at++;
    if (at < rows.length && at > top) scroller.scrollTop += (at - top) * ROW_HEIGHT;
  }, [rows]);

  const stamp = () => new Date().toISOString().replaceAll(":", "-").slice(0, 19);

  return (
    <div className="calls-view">
      <div className="calls-top">
        <form className="filters" aria-label="Filter calls" onSubmit={(e) => e.preventDefault()}>
          <label>
            Server
            <select value={filter.server} onChange={(e) => update({ server: e.target.value, tool: "" })}>
              <option value="">All servers</option>
              {serverNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tool
            <select value={filter.tool} onChange={(e) => update({ tool: e.target.value })}>
              <option value="">All tools</option>
              {toolNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Decision
            <select
              value={filter.status}
              onChange={(e) => update({ status: e.target.value as CallStatus | "" })}
            >
              <option value="">All decisions</option>
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {STATUS_LABEL[status]}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            Search arguments
            <input
              type="search"
              value={filter.search}
              placeholder="e.g. prod-"
              onChange={(e) => update({ search: e.target.value })}
            />
          </label>
        </form>
        <CallsChart buffer={buffer} version={version} />
      </div>

      <div className="toolbar">
        <p className="count" aria-live="polite" id={`${ids}-count`}>
          {filtered
            ? `${rows.length.toLocaleString("en")} of ${loaded} loaded ${buffer.size === 1 ? "call" : "calls"}`
            : `${loaded} ${buffer.size === 1 ? "call" : "calls"} loaded`}
        </p>
        <button
          type="button"
          className="button small"
          disabled={rows.length === 0}
          onClick={() =>
            downloadText(`mcp-warden-calls-${stamp()}.jsonl`, toJsonl(rows), "application/x-ndjson")
          }
        >
          Export JSONL
        </button>
        <button
          type="button"
          className="button small"
          disabled={rows.length === 0}
          onClick={() => downloadText(`mcp-warden-calls-${stamp()}.csv`, toCsv(rows), "text/csv")}
        >
          Export CSV
        </button>
      </div>

      <div className={`calls-body${selectedCall ? " with-details" : ""}`}>
        <div className="call-table" style={widths}>
          <div className="call-row call-head" aria-hidden="true">
            <span className="c-time">Time</span>
            <span className="c-client">Client</span>
            <span className="c-server">Server</span>
            <span className="c-tool">Tool</span>
            <span className="c-args">Arguments</span>
            <span className="c-status">Decision</span>
            <span className="c-waited" title="How long the call waited for a human's answer">
              Waited
            </span>
            <span className="c-latency" title="How long the upstream took to answer">
              Upstream
            </span>
            <span className="c-outcome">Outcome</span>
          </div>
          <div ref={scrollRef} className="call-scroll">
            {rows.length === 0 ? (
              buffer.size === 0 ? (
                <ConnectAgent servers={servers} />
              ) : (
                <p className="empty">No call matches the filters.</p>
              )
            ) : (
              <ul
                className="call-list"
                aria-label="Calls, newest first"
                aria-describedby={`${ids}-count`}
                onKeyDown={onListKey}
                style={{ height: virtualizer.getTotalSize() }}
              >
                {virtualizer.getVirtualItems().map((item) => {
                  const call = rows[item.index] as CallRecord;
                  return (
                    <li
                      key={item.key}
                      data-index={item.index}
                      aria-posinset={item.index + 1}
                      aria-setsize={rows.length}
                      className="call-item"
                      style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                    >
                      <button
                        type="button"
                        className={`call-row${call.id === selected ? " selected" : ""}`}
                        tabIndex={item.index === Math.min(focusIndex, rows.length - 1) ? 0 : -1}
                        aria-pressed={call.id === selected}
                        onClick={() => {
                          setSelected(call.id === selected ? undefined : call.id);
                          setFocusIndex(item.index);
                        }}
                      >
                        <CallCells call={call} />
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
            {older && (buffer.size > 0 || older.state === "error") && (
              <ListEnd older={older} held={buffer.size} />
            )}
          </div>
        </div>
        {selectedCall && <CallDetails call={selectedCall} onClose={() => setSelected(undefined)} />}
      </div>
    </div>
  );
}

/** Below the last row: where the loaded calls end, and why. */
function ListEnd({ older, held }: { older: OlderCalls; held: number }) {
  const text = {
    more: "",
    loading: "loading older calls…",
    start: "start of the log",
    full: `showing the newest ${held.toLocaleString("en")} calls; older ones stay in the audit log`,
    error: `Could not load older calls: ${older.error ?? "unknown error"}`,
  }[older.state];
  return (
    <div className={`calls-end calls-end-${older.state}`}>
      <p role="status">{text}</p>
      {(older.state === "more" || older.state === "error") && (
        <button type="button" className="button small" onClick={older.load}>
          {older.state === "error" ? "Try again" : "Load older calls"}
        </button>
      )}
    </div>
  );
}

/**
 * The client, server and tool columns as wide as their longest name in view (within bounds), so a name is
 * cut only when it is very long and the arguments, not the names, give up room first.
 */
function nameWidths(rows: readonly CallRecord[]): Record<string, string> {
  let client = 6;
  let server = 6;
  let tool = 4;
  for (const r of rows) {
    client = Math.max(client, r.client.length);
    server = Math.max(server, r.server.length);
    tool = Math.max(tool, r.tool.length);
  }
  // A name's letters are about as wide as the font's "0" (1ch) on average; bold ones (the tool) a little more.
  const ch = (n: number, max: number, weight = 1) => `${Math.ceil(Math.min(n, max) * weight) + 1}ch`;
  return { "--c-client": ch(client, 18), "--c-server": ch(server, 22), "--c-tool": ch(tool, 30, 1.12) };
}

function CallCells({ call }: { call: CallRecord }) {
  return (
    <>
      <span className="c-time">
        <time dateTime={new Date(call.ts).toISOString()}>{clockTime(call.ts)}</time>
      </span>
      <span className="c-client">{escapeDisguises(call.client)}</span>
      <span className="c-server">{escapeDisguises(call.server)}</span>
      <span className="c-tool">{escapeDisguises(call.tool)}</span>
      <span className="c-args">{argsSummary(call.args)}</span>
      <span className="c-status">
        <StatusBadge status={call.status} />
        {call.outcome && call.outcome !== "ok" && (
          // Where the Outcome column is hidden (narrow windows), a failed outcome shows beside the decision.
          <span className="outcome-tag"> {OUTCOME_LABEL[call.outcome]}</span>
        )}
      </span>
      <span className="c-waited">{duration(call.waitedMs)}</span>
      <span className="c-latency">{duration(upstreamTime(call))}</span>
      <span className={`c-outcome${call.outcome && call.outcome !== "ok" ? " outcome-failed" : ""}`}>
        {call.outcome ? OUTCOME_LABEL[call.outcome] : ""}
      </span>
    </>
  );
}
