/**
 * The policy editor: the JSON (with inline errors and completion), and beside it the rules, a dry run,
 * replay over the recorded calls and the diff against the running policy. Save applies atomically
 * through the core, which refuses an invalid policy (then nothing changes); Revert goes back to the
 * running policy. A starter policy (from the Servers view) opens as an unsaved edit, for review.
 */
import type { EditorView } from "codemirror";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { PolicyState, ServerStatus } from "../../../shared/contract.js";
import type { PolicyError } from "../../../shared/policy-schema.js";
import { useApi } from "../api.js";
import { clockTime } from "../format.js";
import { Tabs } from "../ui/Tabs.js";
import { DiffPanel } from "./DiffPanel.js";
import { DryRunPanel } from "./DryRunPanel.js";
import { localErrors, mergeErrors, placeErrors } from "./lint.js";
import { type CheckedText, PolicyEditor } from "./PolicyEditor.js";
import { ReplayPanel } from "./ReplayPanel.js";
import { RulesPanel } from "./RulesPanel.js";

type Panel = "rules" | "dry-run" | "replay" | "diff";

type SaveState =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved"; at: number }
  | { kind: "refused"; errors: PolicyError[] }
  | { kind: "failed"; message: string };

interface Props {
  servers: readonly ServerStatus[];
  /** Changes when the connection reopens: the running policy is read again. */
  generation: number;
  /** A starter policy to open as an unsaved edit (taken once, on mount). */
  starter?: { server: string; text: string } | undefined;
  /** Called once the starter has been taken, so it is not loaded again. */
  onStarterTaken?: () => void;
}

export function PolicyView({ servers, generation, starter, onStarterTaken }: Props) {
  const api = useApi();
  const [running, setRunning] = useState<PolicyState>();
  const [draft, setDraft] = useState<string | undefined>(starter?.text);
  /** The server whose starter policy is in the editor, until it is saved or reverted. */
  const [starterOf, setStarterOf] = useState(starter?.server);
  const [checked, setChecked] = useState<CheckedText>({ text: "", errors: [] });
  const [save, setSave] = useState<SaveState>({ kind: "idle" });
  const [panel, setPanel] = useState<Panel>("rules");
  const [loadError, setLoadError] = useState("");
  const editor = useRef<EditorView | undefined>(undefined);
  const runningText = useRef<string | undefined>(undefined);

  /** Reads the running policy; the draft follows it unless it has been edited. */
  const reload = useCallback(async () => {
    try {
      const state = await api.getPolicy({});
      const previous = runningText.current;
      runningText.current = state.text;
      setRunning(state);
      setDraft((d) => (d === undefined || d === previous ? state.text : d));
      setLoadError("");
    } catch (error) {
      setLoadError((error as Error).message);
    }
  }, [api]);

  useEffect(() => {
    if (generation > 0) void reload();
  }, [reload, generation]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the starter is taken once, when the view opens
  useEffect(() => {
    if (starter) onStarterTaken?.();
  }, []);
  useEffect(() => api.on("policy", () => void reload()), [api, reload]);

  /** Ctrl+S (Cmd+S) saves while this view is open. */
  const saveShortcut = useRef<() => void>(() => {});
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        saveShortcut.current();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (draft === undefined) return;
    const local = localErrors(draft);
    setChecked({ text: draft, errors: local });
    if (local.length > 0) return;
    let current = true;
    const timer = setTimeout(() => {
      api.validatePolicy({ text: draft }).then(
        (r) => current && setChecked({ text: draft, errors: mergeErrors(local, r.errors) }),
        () => {},
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, draft]);

  const toolNames = useMemo(() => {
    const names = new Set<string>(["*"]);
    for (const s of servers) {
      names.add(`${s.name}/*`);
      for (const t of s.tools) {
        names.add(t.name);
        names.add(`${s.name}/${t.name}`);
      }
    }
    return [...names].sort();
  }, [servers]);

  const onView = useCallback((view: EditorView | undefined) => {
    editor.current = view;
  }, []);

  if (draft === undefined || !running) {
    return (
      <p className="muted">{loadError ? `Cannot read the policy: ${loadError}` : "Loading the policy…"}</p>
    );
  }

  const changed = draft !== running.text;
  const errors = checked.text === draft ? checked.errors : [];
  const placed = placeErrors(draft, errors);

  const doSave = async () => {
    setSave({ kind: "saving" });
    try {
      const result = await api.savePolicy({ text: draft });
      if (result.ok) {
        setSave({ kind: "saved", at: Date.now() });
        setStarterOf(undefined);
        await reload();
      } else {
        setSave({ kind: "refused", errors: result.errors });
        setChecked({ text: draft, errors: mergeErrors(localErrors(draft), result.errors) });
      }
    } catch (error) {
      setSave({ kind: "failed", message: (error as Error).message });
    }
  };

  /** Why Save is off, in the button's title: nothing to save, a save under way, or errors to fix first. */
  const saveBlocked = !changed
    ? "Nothing to save: the edit is the running policy"
    : save.kind === "saving"
      ? "Saving…"
      : errors.length > 0
        ? `Fix the ${errors.length === 1 ? "error" : `${errors.length} errors`} under the editor to save`
        : undefined;

  saveShortcut.current = () => {
    if (!saveBlocked) void doSave();
  };

  const revert = () => {
    setDraft(running.text);
    setStarterOf(undefined);
    setSave({ kind: "idle" });
  };

  const goTo = (from: number, to: number) => {
    const view = editor.current;
    if (!view) return;
    view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
    view.focus();
  };

  return (
    <div className="policy-view">
      <div className="policy-bar">
        <div className="policy-file">
          <strong>Policy</strong> <code title={running.path}>{running.path}</code>{" "}
          <span className="muted">running since {clockTime(running.loadedAt)}</span>
        </div>
        <div className="policy-actions">
          <span className={`edited${changed ? " on" : ""}`}>{changed ? "Edited, not saved" : "Saved"}</span>
          <button type="button" className="button" onClick={revert} disabled={!changed}>
            Revert
          </button>
          <button
            type="button"
            className="button primary"
            onClick={doSave}
            disabled={saveBlocked !== undefined}
            title={saveBlocked ?? "Save and apply (Ctrl+S)"}
          >
            Save
          </button>
        </div>
      </div>

      {starterOf !== undefined && (
        <div className="starter-note" role="note">
          <strong>Starter policy for "{starterOf}"</strong>, from the risk of its tools, is in the editor and{" "}
          <strong>not saved</strong>. Review it (the Changes tab shows what it changes): it replaces the whole
          running policy, for every server. Save applies it; Revert goes back to the running policy.
        </div>
      )}
      <div className="policy-status" role="status" aria-live="polite">
        {save.kind === "saved" && <p className="ok-text">Saved and applied at {clockTime(save.at)}.</p>}
        {save.kind === "refused" && (
          <p className="error-text">
            Not saved: the policy has {save.errors.length} {save.errors.length === 1 ? "error" : "errors"}.
            The running policy is unchanged.
          </p>
        )}
        {save.kind === "failed" && <p className="error-text">Not saved: {save.message}</p>}
      </div>
      {running.fileErrors.length > 0 && (
        <div className="warning" role="alert">
          The policy file on disk is invalid, so the last good policy stays in force:
          <ul>
            {running.fileErrors.map((e) => (
              <li key={`${e.path}-${e.message}`}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="policy-main">
        <section className="policy-editor" aria-label="Policy JSON editor">
          <PolicyEditor
            value={draft}
            onChange={setDraft}
            checked={checked}
            toolNames={toolNames}
            onView={onView}
          />
          <section className="problems" aria-label="Problems in the edited policy">
            {errors.length === 0 ? (
              <p className="ok-text">No problems.</p>
            ) : (
              <ul>
                {placed.map((e) => (
                  <li key={`${e.from}-${e.message}`}>
                    <button type="button" className="link" onClick={() => goTo(e.from, e.to)}>
                      {e.message}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </section>
        <section className="policy-side" aria-label="Rules, dry run, replay and changes">
          <Tabs
            label="Policy tools"
            selected={panel}
            onSelect={setPanel}
            tabs={[
              { key: "rules", label: "Rules" },
              { key: "dry-run", label: "Dry run" },
              { key: "replay", label: "Replay" },
              { key: "diff", label: changed ? "Changes •" : "Changes" },
            ]}
          >
            {panel === "rules" && (
              <RulesPanel
                servers={servers}
                draft={draft}
                valid={errors.length === 0}
                onDraftChange={setDraft}
              />
            )}
            {panel === "dry-run" && <DryRunPanel servers={servers} draft={draft} />}
            {panel === "replay" && <ReplayPanel draft={draft} />}
            {panel === "diff" && <DiffPanel running={running.text} draft={draft} />}
          </Tabs>
        </section>
      </div>
    </div>
  );
}
