/** The whole UI: header, navigation and the current view; or, at `#/approval`, the prompt alone. */
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { ApiProvider } from "../api.js";
import { ApprovalPrompt } from "../approvals/ApprovalPrompt.js";
import { UnauthorizedError } from "../bridge/http.js";
import type { Bridge } from "../bridge/index.js";
import { CallsView } from "../calls/CallsView.js";
import { ServersView } from "../servers/ServersView.js";
import { Header } from "./Header.js";
import { useRoute, type View } from "./route.js";
import { useCalls, useConnection, useWardenLive } from "./use-warden.js";
import { useWelcome, Welcome } from "./Welcome.js";

/** The policy editor (CodeMirror and the policy schema) loads when first opened. */
const PolicyView = lazy(() => import("../policy/PolicyView.js").then((m) => ({ default: m.PolicyView })));

const VIEW_LABEL: Record<View, string> = {
  calls: "Live calls",
  approvals: "Approvals",
  policy: "Policy",
  servers: "Servers",
};

export function App({ bridge }: { bridge: Bridge }) {
  return (
    <ApiProvider value={bridge.api}>
      <Shell bridge={bridge} />
    </ApiProvider>
  );
}

function Shell({ bridge }: { bridge: Bridge }) {
  const route = useRoute();
  const connection = useConnection(bridge.connection);
  const live = useWardenLive(bridge.api, connection.generation);
  const calls = useCalls(bridge.api, connection.generation);
  const [welcome, dismissWelcome] = useWelcome(bridge.api, live.loaded, live.servers.length);
  const welcoming = Array.isArray(welcome) && route.kind === "view";
  const [starter, setStarter] = useState<{ server: string; text: string }>();
  const openStarter = useCallback((server: string, text: string) => {
    setStarter({ server, text });
    window.location.hash = "#/policy";
  }, []);
  const starterTaken = useCallback(() => setStarter(undefined), []);

  // Choosing a view (from the navigation or a link) ends the welcome.
  const shownView = route.kind === "view" ? route.view : undefined;
  const previousView = useRef(shownView);
  useEffect(() => {
    if (previousView.current !== shownView && Array.isArray(welcome)) dismissWelcome();
    previousView.current = shownView;
  }, [shownView, welcome, dismissWelcome]);

  const title =
    route.kind === "approval-window" ? "Approval" : welcoming ? "Welcome" : VIEW_LABEL[route.view];
  const waiting = live.pending.length;
  useEffect(() => {
    document.title = `${waiting > 0 ? `(${waiting}) ` : ""}${title} — MCP Warden`;
  }, [title, waiting]);

  if (!bridge.hasToken || connection.state === "unauthorized" || live.error instanceof UnauthorizedError) {
    return <NeedsToken />;
  }

  const banner =
    connection.state === "retrying" ? (
      <p className="banner warn" role="alert">
        Lost the connection to the warden; reconnecting…
      </p>
    ) : live.error ? (
      <p className="banner bad" role="alert">
        Cannot read the warden's state: {live.error.message}
      </p>
    ) : null;

  if (route.kind === "approval-window") {
    const first = live.pending.filter((p) => p.id === route.first);
    const pending = first.length
      ? [...first, ...live.pending.filter((p) => p.id !== route.first)]
      : live.pending;
    return (
      <main className="approval-window">
        {banner}
        <ApprovalPrompt pending={pending} ended={live.ended} standalone />
      </main>
    );
  }

  const view = route.view;
  return (
    <div className="app">
      <button type="button" className="skip-link" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <Header denyAll={live.denyAll} servers={live.servers} />
      <nav className="app-nav" aria-label="Views">
        {(Object.keys(VIEW_LABEL) as View[]).map((v) => (
          <a
            key={v}
            href={`#/${v}`}
            aria-current={v === view && !welcoming ? "page" : undefined}
            onClick={welcoming ? dismissWelcome : undefined}
          >
            {VIEW_LABEL[v]}
            {v === "approvals" && live.pending.length > 0 && (
              <span className="count-badge">
                {live.pending.length}
                <span className="visually-hidden"> waiting</span>
              </span>
            )}
            {v === "servers" && live.toolChanges.length > 0 && (
              <span className="count-badge warn">
                {live.toolChanges.length}
                <span className="visually-hidden"> held</span>
              </span>
            )}
          </a>
        ))}
      </nav>
      {banner}
      {live.denyAll && (
        <p className="banner bad">Deny-all is on: every call is refused until you switch it off.</p>
      )}
      {live.auditDisk?.warning && (
        <p className={`banner ${live.auditDisk.warning === "full" ? "bad" : "warn"}`} role="alert">
          {live.auditDisk.message}
        </p>
      )}
      {live.pending.length > 0 && view !== "approvals" && (
        <p className="banner wait">
          {live.pending.length === 1 ? "A call is" : `${live.pending.length} calls are`} waiting for your
          approval. <a href="#/approvals">Review</a>
        </p>
      )}
      <main id="main" className={`view view-${welcoming ? "welcome" : view}`} tabIndex={-1}>
        <h1 className="visually-hidden">{welcoming ? "Welcome" : VIEW_LABEL[view]}</h1>
        {Array.isArray(welcome) && (
          <Welcome found={welcome} serverCount={live.servers.length} onDone={dismissWelcome} />
        )}
        {!welcoming && view === "calls" && (
          <CallsView
            buffer={calls.buffer}
            version={calls.version}
            older={calls.older}
            servers={live.servers}
          />
        )}
        {!welcoming && view === "approvals" && <ApprovalPrompt pending={live.pending} ended={live.ended} />}
        {!welcoming && view === "policy" && (
          <Suspense fallback={<p className="muted">Loading the policy editor…</p>}>
            <PolicyView
              servers={live.servers}
              generation={connection.generation}
              starter={starter}
              onStarterTaken={starterTaken}
            />
          </Suspense>
        )}
        {!welcoming && view === "servers" && (
          <ServersView servers={live.servers} toolChanges={live.toolChanges} onStarterPolicy={openStarter} />
        )}
      </main>
    </div>
  );
}

function NeedsToken() {
  return (
    <main className="needs-token">
      <h1>MCP Warden</h1>
      <p>
        This page is not signed in, or its session has ended (the warden restarted, or it was idle for hours).
      </p>
      <p>
        Run <code>mcp-warden ui</code> and open the link it prints (<code>http://127.0.0.1:…/#code=…</code>
        ). Each link signs in once, within a few minutes.
      </p>
    </main>
  );
}
