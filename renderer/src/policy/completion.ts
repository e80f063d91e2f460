/** Completion in the policy editor: tool names under `tools`, rule fields, and enumerated values. */
import type { CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { ACTIONS, CONDITION_OPS, NAMED_WINDOWS, SCOPES } from "../../../shared/policy-schema.js";
import { cursorContext, type PathSegment } from "./json-paths.js";

const ROOT_FIELDS = ["version", "default", "reason", "approval", "operations", "tools", "comment"];
const RULE_FIELDS = ["action", "reason", "args", "conditions", "limits", "approval", "comment", "match"];
const LIMIT_FIELDS = ["counter", "window", "max", "scope", "comment"];
const CONDITION_FIELDS = ["path", "op", "value"];

const VALUES: Record<string, readonly string[]> = {
  action: ACTIONS,
  scope: SCOPES,
  window: NAMED_WINDOWS,
  op: CONDITION_OPS,
};

/** A rule sits at tools.X, or tools.X[n] for a sub-rule. */
function isRule(path: readonly PathSegment[]): boolean {
  return (
    path[0] === "tools" &&
    typeof path[1] === "string" &&
    (path.length === 2 || (path.length === 3 && typeof path[2] === "number"))
  );
}

function isIn(path: readonly PathSegment[], field: string): boolean {
  const n = path.length;
  return n >= 2 && path[n - 2] === field && typeof path[n - 1] === "number" && isRule(path.slice(0, n - 2));
}

/** What fits at the cursor: the names to offer and what kind they are. */
export function suggestionsAt(
  text: string,
  pos: number,
  toolNames: readonly string[],
): { names: readonly string[]; type: string } | undefined {
  const ctx = cursorContext(text, pos);
  if (!ctx) return undefined;
  const { container, inKey, property } = ctx;
  if (inKey) {
    if (container.length === 0) return { names: ROOT_FIELDS, type: "property" };
    if (container.length === 1 && container[0] === "tools") return { names: toolNames, type: "function" };
    if (isRule(container)) return { names: RULE_FIELDS, type: "property" };
    if (isIn(container, "limits")) return { names: LIMIT_FIELDS, type: "property" };
    if (isIn(container, "conditions")) return { names: CONDITION_FIELDS, type: "property" };
    return undefined;
  }
  if (container.length === 0 && property === "default") return { names: ACTIONS, type: "enum" };
  const values = property ? VALUES[property] : undefined;
  return values ? { names: values, type: "enum" } : undefined;
}

/** A CodeMirror completion source; `toolNames` is read at each request (servers come and go). */
export function policyCompletion(toolNames: () => readonly string[]) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/"?[^"\s{}[\]:,]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const found = suggestionsAt(context.state.doc.toString(), word.from, toolNames());
    if (!found) return null;
    const quoted = word.text.startsWith('"');
    const closed = context.state.sliceDoc(context.pos, context.pos + 1) === '"';
    return {
      from: quoted ? word.from + 1 : word.from,
      options: found.names.map((name) => ({
        label: name,
        type: found.type,
        apply: quoted ? (closed ? name : `${name}"`) : JSON.stringify(name),
      })),
      validFor: /^[^"\s]*$/,
    };
  };
}
