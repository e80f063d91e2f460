/**
 * The policy's JSON editor (CodeMirror 6): inline errors placed at their JSON paths, completion of tool
 * names and enumerated values, colours from the page's theme (light or dark).
 */
import { json, jsonLanguage } from "@codemirror/lang-json";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { tags } from "@lezer/highlight";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef } from "react";
import type { PolicyError } from "../../../shared/policy-schema.js";
import { policyCompletion } from "./completion.js";
import { placeErrors } from "./lint.js";

/** Token colours as CSS variables, so light and dark themes come from the stylesheet. */
const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: "var(--syn-property)" },
  { tag: tags.string, color: "var(--syn-string)" },
  { tag: tags.number, color: "var(--syn-number)" },
  { tag: [tags.bool, tags.null], color: "var(--syn-keyword)" },
  { tag: [tags.brace, tags.squareBracket, tags.separator, tags.punctuation], color: "var(--syn-punct)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--surface)", color: "var(--text)", height: "100%" },
  ".cm-content": { caretColor: "var(--text)", fontFamily: "var(--mono)" },
  ".cm-gutters": {
    backgroundColor: "var(--surface-2)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--active-line)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--selection) !important",
  },
  "&.cm-focused": { outline: "2px solid var(--focus)", outlineOffset: "-2px" },
  ".cm-tooltip": {
    backgroundColor: "var(--surface)",
    color: "var(--text)",
    border: "1px solid var(--border)",
  },
  ".cm-tooltip-autocomplete ul li[aria-selected]": {
    backgroundColor: "var(--accent)",
    color: "var(--on-accent)",
  },
  ".cm-panels": { backgroundColor: "var(--surface-2)", color: "var(--text)" },
});

/** Errors, and the text they were found in (they are shown only while the text is still that). */
export interface CheckedText {
  text: string;
  errors: readonly PolicyError[];
}

interface Props {
  value: string;
  onChange: (text: string) => void;
  checked: CheckedText;
  toolNames: readonly string[];
  /** Receives the editor, so the error list can move the cursor to an error. */
  onView?: (view: EditorView | undefined) => void;
}

export function PolicyEditor({ value, onChange, checked, toolNames, onView }: Props) {
  const parent = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(undefined);
  const latest = useRef({ onChange, toolNames });
  latest.current = { onChange, toolNames };
  const initial = useRef(value);

  useEffect(() => {
    if (!parent.current) return;
    const editor = new EditorView({
      doc: initial.current,
      parent: parent.current,
      extensions: [
        basicSetup,
        json(),
        jsonLanguage.data.of({ autocomplete: policyCompletion(() => latest.current.toolNames) }),
        lintGutter(),
        syntaxHighlighting(highlight),
        theme,
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": "Policy JSON", "aria-multiline": "true" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(update.state.doc.toString());
        }),
      ],
    });
    view.current = editor;
    onView?.(editor);
    return () => {
      onView?.(undefined);
      editor.destroy();
      view.current = undefined;
    };
  }, [onView]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const doc = editor.state.doc.toString();
    if (doc !== value) editor.dispatch({ changes: { from: 0, to: doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() !== checked.text) return;
    const diagnostics: Diagnostic[] = placeErrors(checked.text, checked.errors).map((e) => ({
      from: e.from,
      to: e.to,
      severity: "error",
      message: e.message,
    }));
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
  }, [checked]);

  return <div className="editor" ref={parent} />;
}
