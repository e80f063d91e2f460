/** Policy errors (path + message) as editor diagnostics (text ranges). */
import { type PolicyError, parsePolicy } from "../../../shared/policy-schema.js";
import { locatePath, parseErrorPath, type Range } from "./json-paths.js";

/** One error placed in the text. */
export interface PlacedError extends Range {
  message: string;
}

/** Where a JSON syntax error points, from the parser's message ("at position N" or "line L column C"). */
function syntaxErrorRange(text: string, message: string): Range {
  let pos = 0;
  const at = /at position (\d+)/.exec(message);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (at?.[1]) {
    pos = Number(at[1]);
  } else if (lineCol?.[1] && lineCol[2]) {
    const lines = text.split("\n").slice(0, Number(lineCol[1]) - 1);
    pos = lines.reduce((n, line) => n + line.length + 1, 0) + Number(lineCol[2]) - 1;
  }
  pos = Math.max(0, Math.min(pos, text.length));
  return { from: pos, to: Math.min(pos + 1, text.length) };
}

/** Places each error at its path (or, for a syntax error, its position). */
export function placeErrors(text: string, errors: readonly PolicyError[]): PlacedError[] {
  return errors.map((error) => {
    const label = error.path === "(root)" ? "" : `${error.path}: `;
    if (error.path === "(root)" && error.message.startsWith("not valid JSON")) {
      return { ...syntaxErrorRange(text, error.message), message: error.message };
    }
    const unknownKey = /^Unrecognized keys?: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1];
    const range = locatePath(
      text,
      parseErrorPath(error.path),
      unknownKey === undefined ? undefined : JSON.parse(`"${unknownKey}"`),
    ) ?? { from: 0, to: Math.min(1, text.length) };
    return { ...range, message: `${label}${error.message}` };
  });
}

/** Errors in the union of two lists, each once. */
export function mergeErrors(a: readonly PolicyError[], b: readonly PolicyError[]): PolicyError[] {
  const seen = new Set<string>();
  return [...a, ...b].filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The errors the browser can find on its own (the policy schema is plain zod, shared with the core). */
export function localErrors(text: string): PolicyError[] {
  const result = parsePolicy(text);
  return result.ok ? [] : result.errors;
}
