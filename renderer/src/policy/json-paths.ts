/**
 * Positions in JSON text: where a policy error's path (`tools["a/b"].limits[0].max`) is, for inline
 * errors, and which path the cursor is at (even in half-typed JSON), for completion.
 */

/** One step of a path: a property name or an array index. */
export type PathSegment = string | number;

/** Parses a path as `formatJsonPath` writes it: `a.b[0]["x/y"]`, or `(root)`. */
export function parseErrorPath(path: string): PathSegment[] {
  if (path === "(root)" || path === "") return [];
  const out: PathSegment[] = [];
  const step = /\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  while (step.lastIndex < path.length) {
    const m = step.exec(path);
    if (!m) break;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

interface Token {
  type: "{" | "}" | "[" | "]" | ":" | "," | "string" | "literal";
  from: number;
  to: number;
  /** A string token's value (unterminated strings end at the line's end). */
  value?: string;
}

/** Splits JSON text into tokens, tolerating half-typed input. */
function tokenize(text: string, until = text.length): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < until) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if ("{}[]:,".includes(c)) {
      tokens.push({ type: c as Token["type"], from: i, to: i + 1 });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      const closed = text[j] === '"';
      const raw = text.slice(i, closed ? j + 1 : j);
      let value: string;
      try {
        value = JSON.parse(closed ? raw : `${raw}"`) as string;
      } catch {
        value = raw.slice(1, closed ? -1 : undefined);
      }
      tokens.push({ type: "string", from: i, to: closed ? j + 1 : j, value });
      i = closed ? j + 1 : j;
    } else {
      let j = i;
      while (j < text.length && !/[\s{}[\]:,"]/.test(text[j] as string)) j++;
      tokens.push({ type: "literal", from: i, to: j });
      i = j;
    }
  }
  return tokens;
}

/** A range in the text. */
export interface Range {
  from: number;
  to: number;
}

/**
 * Where `path` is in valid JSON text: a scalar's value, or a container's property name (or opening
 * bracket), so an error underlines something short. A path that does not exist resolves to its deepest
 * existing part. With `key`, the property `key` of the object at `path` (for "unrecognized key" errors).
 */
export function locatePath(text: string, path: readonly PathSegment[], key?: string): Range | undefined {
  const tokens = tokenize(text);
  const target = key === undefined ? path : [...path, key];
  let pos = 0;
  let best: Range | undefined;
  let bestDepth = -1;

  /** Reads the value at `tokens[pos]`, reached by matching `depth` segments of the target (-1: off it). */
  const value = (depth: number, label: Range | undefined): void => {
    const t = tokens[pos];
    if (!t) return;
    const container = t.type === "{" || t.type === "[";
    if (depth > bestDepth) {
      bestDepth = depth;
      const own = { from: t.from, to: t.to };
      best = key !== undefined && depth === target.length && label ? label : container ? (label ?? own) : own;
    }
    pos++;
    if (!container) return;
    const close = t.type === "{" ? "}" : "]";
    let index = 0;
    while (pos < tokens.length && tokens[pos]?.type !== close) {
      const item = tokens[pos] as Token;
      if (item.type === ",") {
        pos++;
        continue;
      }
      const onPath = depth >= 0 && depth < target.length;
      if (t.type === "{") {
        pos++;
        if (tokens[pos]?.type === ":") pos++;
        value(onPath && target[depth] === item.value ? depth + 1 : -1, { from: item.from, to: item.to });
      } else {
        value(onPath && target[depth] === index ? depth + 1 : -1, undefined);
        index++;
      }
    }
    pos++;
  };
  value(0, undefined);
  return best;
}

/** Where the cursor is in JSON: the path of the container, and whether a property name is being typed. */
export interface CursorContext {
  /** Path of the object or array holding the cursor. */
  container: PathSegment[];
  /** True where a property name goes; false in a value position. */
  inKey: boolean;
  /** In a value position of an object: the property's name. */
  property?: string;
}

/** The context at `pos` in possibly incomplete JSON. */
export function cursorContext(text: string, pos: number): CursorContext | undefined {
  const tokens = tokenize(text, pos);
  const stack: { kind: "object" | "array"; key?: string; index: number; afterColon: boolean }[] = [];
  let lastString: string | undefined;
  for (const t of tokens) {
    const top = stack[stack.length - 1];
    if (t.type === "{" || t.type === "[") {
      stack.push({ kind: t.type === "{" ? "object" : "array", index: 0, afterColon: false });
    } else if (t.type === "}" || t.type === "]") {
      stack.pop();
    } else if (t.type === ":" && top) {
      top.afterColon = true;
      top.key = lastString;
    } else if (t.type === "," && top) {
      top.afterColon = false;
      top.index++;
    } else if (t.type === "string") {
      lastString = t.value;
    }
  }
  if (stack.length === 0) return undefined;
  const container: PathSegment[] = [];
  for (let i = 0; i < stack.length - 1; i++) {
    const frame = stack[i] as (typeof stack)[number];
    container.push(frame.kind === "object" ? (frame.key ?? "") : frame.index);
  }
  const top = stack[stack.length - 1] as (typeof stack)[number];
  if (top.kind === "array") return { container, inKey: false };
  return top.afterColon
    ? { container, inKey: false, ...(top.key !== undefined ? { property: top.key } : {}) }
    : { container, inKey: true };
}
