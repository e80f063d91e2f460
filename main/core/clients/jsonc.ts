/**
 * JSON with comments (JSONC, as VS Code's settings.json) read into a tree that knows where each value sits
 * in the text, and edited in place: a value replaced, a property added or removed, and every other byte —
 * comments, trailing commas, indentation, line endings, unknown fields — left as it was.
 * Plain JSON is JSONC, so the same functions edit servers.json and the clients' files.
 */

/** A value in the text: where it is, what it is, and its children. */
export interface JsonNode {
  type: "object" | "array" | "string" | "number" | "boolean" | "null";
  /** Offset of the value's first character. */
  offset: number;
  /** Length of the value's text. */
  length: number;
  /** The value itself, as JSON.parse would give it. */
  value: unknown;
  /** An object's properties, in text order. */
  properties?: JsonProperty[];
  /** An array's items. */
  items?: JsonNode[];
}

/** One `"key": value` of an object. */
export interface JsonProperty {
  key: string;
  keyOffset: number;
  value: JsonNode;
}

/** A syntax error, with the line and column where it was found. */
export class JsoncError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** A string's extent; JSON.parse then checks its escapes and refuses raw control characters. */
const STRING = /"(?:[^"\\\n]|\\.)*"/y;

/** Parses JSONC text: comments (`//`, `/* *\/`) and trailing commas are allowed. */
export function parseJsonc(text: string): JsonNode {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (what: string): never => {
    const before = text.slice(0, pos);
    const line = before.split("\n").length;
    const column = pos - before.lastIndexOf("\n");
    throw new JsoncError(`line ${line}, column ${column}: ${what}`);
  };

  const skip = (): void => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
      if (text.startsWith("//", pos)) {
        const end = text.indexOf("\n", pos);
        pos = end < 0 ? text.length : end + 1;
      } else if (text.startsWith("/*", pos)) {
        const end = text.indexOf("*/", pos + 2);
        if (end < 0) fail("unterminated comment");
        pos = end + 2;
      } else return;
    }
  };

  const str = (raw: string): string => {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail("invalid string");
    }
  };

  const token = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    pos += m[0].length;
    return m[0];
  };

  const value = (): JsonNode => {
    skip();
    const offset = pos;
    const ch = text[pos];
    if (ch === "{") {
      pos++;
      const properties: JsonProperty[] = [];
      const obj: Record<string, unknown> = {};
      skip();
      while (text[pos] !== "}") {
        const keyOffset = pos;
        const raw = token(STRING) ?? fail("expected a property name in double quotes");
        const key = str(raw);
        skip();
        if (text[pos] !== ":") fail(`expected ":" after ${raw}`);
        pos++;
        const child = value();
        properties.push({ key, keyOffset, value: child });
        Object.defineProperty(obj, key, {
          value: child.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skip();
        if (text[pos] === ",") {
          pos++;
          skip();
        } else if (text[pos] !== "}") fail('expected "," or "}"');
      }
      pos++;
      return { type: "object", offset, length: pos - offset, value: obj, properties };
    }
    if (ch === "[") {
      pos++;
      const items: JsonNode[] = [];
      skip();
      while (text[pos] !== "]") {
        items.push(value());
        skip();
        if (text[pos] === ",") {
          pos++;
          skip();
        } else if (text[pos] !== "]") fail('expected "," or "]"');
      }
      pos++;
      return { type: "array", offset, length: pos - offset, value: items.map((i) => i.value), items };
    }
    const raw = token(STRING);
    if (raw !== undefined) return { type: "string", offset, length: raw.length, value: str(raw) };
    const num = token(NUMBER);
    if (num !== undefined) return { type: "number", offset, length: num.length, value: Number(num) };
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return { type: v === null ? "null" : "boolean", offset, length: word.length, value: v };
      }
    }
    return fail(pos >= text.length ? "unexpected end of text" : `unexpected "${ch}"`);
  };

  const root = value();
  skip();
  if (pos < text.length) fail("unexpected text after the value");
  return root;
}

/** The node at a path of keys (and array indexes); the last property wins when a key repeats. */
export function nodeAt(root: JsonNode, path: readonly (string | number)[]): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    if (typeof key === "number") node = node.items?.[key];
    else node = node.properties?.findLast((p) => p.key === key)?.value;
  }
  return node;
}

/** The line ending the text uses. */
function eolOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/** One level of indentation as the text uses it (two spaces when it cannot tell). */
function indentUnitOf(text: string): string {
  const m = /\n([ \t]+)["{[}\]]/.exec(text);
  if (!m?.[1]) return "  ";
  return m[1].startsWith("\t") ? "\t" : m[1];
}

/** The whitespace that starts the line `offset` is on. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

/** `value` as JSON text indented like the file, continuing at a line indented by `indent`. */
function render(text: string, value: unknown, indent: string): string {
  const eol = eolOf(text);
  return JSON.stringify(value, null, indentUnitOf(text)).split("\n").join(`${eol}${indent}`);
}

/**
 * Replaces the text of `node` with `value`: on one line where the old value was on one line, otherwise
 * indented to fit where the node is.
 */
export function replaceValue(text: string, node: JsonNode, value: unknown): string {
  const old = text.slice(node.offset, node.offset + node.length);
  const replacement = /[\r\n]/.test(old)
    ? render(text, value, lineIndent(text, node.offset))
    : oneLine(value);
  return replaceText(text, node, replacement);
}

/** Replaces the text of `node` with `replacement` as it is. */
export function replaceText(text: string, node: JsonNode, replacement: string): string {
  return text.slice(0, node.offset) + replacement + text.slice(node.offset + node.length);
}

/** Adds `"key": value` as the last property of the object `node`, in the file's style. */
export function insertProperty(text: string, node: JsonNode, key: string, value: unknown): string {
  if (node.type !== "object" || !node.properties) throw new Error("insertProperty needs an object");
  const eol = eolOf(text);
  const outer = lineIndent(text, node.offset);
  const last = node.properties.at(-1);
  const inner = last ? lineIndent(text, last.keyOffset) : outer + indentUnitOf(text);
  const property = `${JSON.stringify(key)}: ${render(text, value, inner)}`;
  const open = node.offset + 1;
  const close = node.offset + node.length - 1;
  if (!last) {
    if (text.slice(open, close).trim() === "") {
      return `${text.slice(0, open)}${eol}${inner}${property}${eol}${outer}${text.slice(close)}`;
    }
    return `${text.slice(0, open)}${eol}${inner}${property}${text.slice(open)}`;
  }
  const end = last.value.offset + last.value.length;
  const comma = /^\s*,/.exec(text.slice(end, close));
  if (comma) {
    const at = end + comma[0].length;
    return `${text.slice(0, at)}${eol}${inner}${property},${text.slice(at)}`;
  }
  return `${text.slice(0, end)},${eol}${inner}${property}${text.slice(end)}`;
}

/** Removes the property `key` (its last occurrence) from the object `node`. */
export function removeProperty(text: string, node: JsonNode, key: string): string {
  const properties = node.properties ?? [];
  const index = properties.findLastIndex((p) => p.key === key);
  const property = properties[index];
  if (!property) return text;
  if (properties.length === 1)
    return `${text.slice(0, node.offset)}{}${text.slice(node.offset + node.length)}`;
  const next = properties[index + 1];
  if (next) return text.slice(0, property.keyOffset) + text.slice(next.keyOffset);
  const previous = properties[index - 1] as JsonProperty;
  const from = previous.value.offset + previous.value.length;
  return text.slice(0, from) + text.slice(property.value.offset + property.value.length);
}

/** Entries of an object or array, skipping undefined properties as JSON.stringify does. */
function entriesOf(v: object): [string | undefined, unknown][] {
  return Array.isArray(v)
    ? v.map((item) => [undefined, item])
    : Object.entries(v).filter(([, item]) => item !== undefined);
}

/** A value on one line: `{ "action": "stop" }`, `["a", "b"]`. */
function oneLine(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  const parts = entriesOf(v).map(
    ([k, item]) => (k === undefined ? "" : `${JSON.stringify(k)}: `) + oneLine(item),
  );
  if (Array.isArray(v)) return `[${parts.join(", ")}]`;
  return parts.length ? `{ ${parts.join(", ")} }` : "{}";
}

/**
 * JSON text for people: two-space indentation, with objects and arrays that fit within `width` columns
 * kept on one line (`"match": { "action": "stop" }`).
 */
export function formatJson(value: unknown, width = 110): string {
  const format = (v: unknown, indent: string, used: number): string => {
    const flat = oneLine(v);
    if (v === null || typeof v !== "object" || indent.length + used + flat.length < width) return flat;
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    const inner = `${indent}  `;
    const lines = entriesOf(v).map(([k, item]) => {
      const head = k === undefined ? "" : `${JSON.stringify(k)}: `;
      return `${inner}${head}${format(item, inner, head.length)}`;
    });
    return `${open}\n${lines.join(",\n")}\n${indent}${close}`;
  };
  return `${format(value, "", 0)}\n`;
}
