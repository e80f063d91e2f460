/**
 * JSON-RPC messages kept as the text they arrived as. Each message is parsed once (for what the warden
 * reads: method, id, the arguments it decides on), and what it forwards is the original text with only
 * the parts it must change spliced in: a request id, a progress token, a filtered list. Numbers beyond
 * 2^53, `1.0`, unknown fields and content types therefore reach the other side exactly as they were sent.
 */

/** A JSON-RPC id as the peer wrote it: its JSON text (exact) and its value (for lookups). */
export interface RawId {
  text: string;
  value: string | number;
}

/** A parsed JSON-RPC message with its original text. */
export interface RawMessage {
  readonly text: string;
  /** The parsed value; its numbers are doubles, so forward `text`, never a re-serialised `value`. */
  readonly value: JsonRpcValue;
}

/** The members the warden reads. */
export interface JsonRpcValue {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** A message's kind, from its members (JSON-RPC 2.0). */
export type MessageKind = "request" | "notification" | "response" | "invalid";

/** Why a text is not one JSON-RPC message (or a batch of them). */
export class MessageError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly id: unknown = null,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index just past the string whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q === -1) return text.length;
    let slashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** The index just past the JSON value that starts at `i` (well-formed text: it was parsed already). */
export function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let k = i;
    while (k < text.length) {
      const ch = text.charCodeAt(k);
      if (ch === QUOTE) {
        k = skipString(text, k);
        continue;
      }
      if (ch === 0x7b || ch === 0x5b) depth++;
      else if (ch === 0x7d || ch === 0x5d) {
        depth--;
        if (depth === 0) return k + 1;
      }
      k++;
    }
    return k;
  }
  let k = i;
  while (k < text.length) {
    const ch = text.charCodeAt(k);
    if (ch === 0x2c || ch === 0x7d || ch === 0x5d || isSpace(ch)) break;
    k++;
  }
  return k;
}

/** A member value's place in a text: [start, end). */
export type Span = readonly [number, number];

/** The spans of the member values of the object that starts at `start`, by key. */
export function memberSpans(text: string, start: number): Map<string, Span> {
  const spans = new Map<string, Span>();
  let i = skipSpace(text, start);
  if (text.charCodeAt(i) !== 0x7b) return spans;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes("\\") ? (JSON.parse(text.slice(i, keyEnd)) as string) : rawKey;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    const end = skipValue(text, i);
    spans.set(key, [i, end]);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1);
  }
  return spans;
}

function hasBackslash(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === BACKSLASH) return true;
  return false;
}

/**
 * The span of one member's value in the object that starts at `start` (the last, as `JSON.parse` keeps
 * the last of a repeated key), found without building a map or cutting out the other keys.
 */
export function memberSpan(text: string, start: number, key: string): Span | undefined {
  let found: Span | undefined;
  let i = skipSpace(text, start);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const same = hasBackslash(text, i + 1, keyEnd - 1)
      ? JSON.parse(text.slice(i, keyEnd)) === key
      : keyEnd - i - 2 === key.length && text.startsWith(key, i + 1);
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    const end = skipValue(text, i);
    if (same) found = [i, end];
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1);
  }
  return found;
}

/** The spans of the elements of the array that starts at `start`. */
export function elementSpans(text: string, start: number): Span[] {
  const spans: Span[] = [];
  let i = skipSpace(text, start);
  if (text.charCodeAt(i) !== 0x5b) return spans;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) !== 0x5d) {
    const end = skipValue(text, i);
    spans.push([i, end]);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipSpace(text, i + 1);
  }
  return spans;
}

/** The span of the value at `path` (object keys) inside the value at `start`, if it is there. */
export function spanAt(text: string, path: readonly string[], start = 0): Span | undefined {
  let span: Span = [skipSpace(text, start), skipValue(text, skipSpace(text, start))];
  for (const key of path) {
    const next = memberSpan(text, span[0], key);
    if (!next) return undefined;
    span = next;
  }
  return span;
}

/** `text` with the value at `span` replaced by `json`. */
export function splice(text: string, span: Span, json: string): string {
  return text.slice(0, span[0]) + json + text.slice(span[1]);
}

/** `text` with the value at `path` replaced by `json`; unchanged when the path is not there. */
export function replaceAt(text: string, path: readonly string[], json: string): string {
  const span = spanAt(text, path);
  return span ? splice(text, span, json) : text;
}

/**
 * `text` with the value at `path` set to `json`: replaced where it is, else added as the first member of
 * the nearest object on the path, with the objects still missing around it. Unchanged when something on
 * the path is there but not an object.
 */
export function setAt(text: string, path: readonly string[], json: string): string {
  let object: Span = [skipSpace(text, 0), skipValue(text, skipSpace(text, 0))];
  for (let depth = 0; depth < path.length; depth++) {
    if (text.charCodeAt(object[0]) !== 0x7b) return text;
    const key = path[depth] as string;
    const next = memberSpan(text, object[0], key);
    if (next) {
      object = next;
      continue;
    }
    let value = json;
    for (let k = path.length - 1; k > depth; k--) value = `{${JSON.stringify(path[k])}:${value}}`;
    const open = object[0] + 1;
    const empty = text.charCodeAt(skipSpace(text, open)) === 0x7d;
    return `${text.slice(0, open)}${JSON.stringify(key)}:${value}${empty ? "" : ","}${text.slice(open)}`;
  }
  return splice(text, object, json);
}

/** `text` with the object at `path` rebuilt without the members `drop` names (the others as written). */
export function withoutMembers(
  text: string,
  path: readonly string[],
  drop: (key: string) => boolean,
): string {
  const span = spanAt(text, path);
  if (!span || text.charCodeAt(span[0]) !== 0x7b) return text;
  const members = memberSpans(text, span[0]);
  const kept = [...members].filter(([key]) => !drop(key));
  if (kept.length === members.size) return text;
  const body = kept
    .map(([key, [start, end]]) => `${JSON.stringify(key)}:${text.slice(start, end)}`)
    .join(",");
  return splice(text, span, `{${body}}`);
}

/** The message's kind. */
export function kindOf(value: JsonRpcValue): MessageKind {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value.jsonrpc !== "2.0")
    return "invalid";
  if (typeof value.method === "string") return "id" in value ? "request" : "notification";
  if ("id" in value && ("result" in value || "error" in value)) return "response";
  return "invalid";
}

function validId(id: unknown): id is string | number | null {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/** One message from its text (already known to be one JSON value). */
export function messageOf(text: string, value: unknown): RawMessage {
  const v = value as JsonRpcValue;
  const kind = kindOf(v);
  const id = v && typeof v === "object" && !Array.isArray(v) ? v.id : null;
  if (kind === "invalid" || ("id" in v && !validId(v.id)))
    throw new MessageError(-32600, "Invalid Request: not a JSON-RPC 2.0 message", validId(id) ? id : null);
  // MCP's params are always an object (JSON-RPC would allow an array; no MCP peer answers one).
  if (
    v.params !== undefined &&
    (typeof v.params !== "object" || v.params === null || Array.isArray(v.params))
  )
    throw new MessageError(-32600, "Invalid Request: params must be an object", validId(id) ? id : null);
  return { text, value: v };
}

/**
 * Parses a text holding one message or a batch. Throws `MessageError` (-32700 for text that is not
 * JSON, -32600 for JSON that is not JSON-RPC).
 */
export function parseMessages(text: string): { messages: RawMessage[]; batch: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MessageError(-32700, `Parse error: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) return { messages: [messageOf(text, value)], batch: false };
  if (value.length === 0) throw new MessageError(-32600, "Invalid Request: an empty batch");
  const spans = elementSpans(text, 0);
  return {
    messages: value.map((element, n) => {
      const span = spans[n] as Span;
      return messageOf(text.slice(span[0], span[1]), element);
    }),
    batch: true,
  };
}

/** The id of a request or response as written (exact text) and as a value. */
export function rawIdOf(message: RawMessage): RawId | undefined {
  const id = message.value.id;
  if (typeof id !== "string" && typeof id !== "number") return undefined;
  const span = memberSpan(message.text, 0, "id");
  return { text: span ? message.text.slice(span[0], span[1]) : JSON.stringify(id), value: id };
}

/** The message's text with its id replaced by `idJson`. */
export function withId(message: RawMessage, idJson: string): string {
  const span = memberSpan(message.text, 0, "id");
  if (span) return splice(message.text, span, idJson);
  return message.text;
}

/** A message the warden wrote itself (well-formed JSON by construction), with its value. */
export function ownMessage(text: string): RawMessage {
  return { text, value: JSON.parse(text) };
}

/** A JSON-RPC error response. */
export function errorResponse(idJson: string, code: number, message: string, data?: unknown): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return `{"jsonrpc":"2.0","id":${idJson},"error":${JSON.stringify(error)}}`;
}

/** A JSON-RPC result response from a value the warden built itself. */
export function resultResponse(idJson: string, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${idJson},"result":${JSON.stringify(result)}}`;
}

/** A request's `method`, when it is one. */
export function methodOf(message: RawMessage): string | undefined {
  return typeof message.value.method === "string" ? message.value.method : undefined;
}

/** The request's params as an object (empty when absent or an array). */
export function paramsOf(message: RawMessage): Record<string, unknown> {
  const params = message.value.params;
  return params && typeof params === "object" && !Array.isArray(params)
    ? (params as Record<string, unknown>)
    : {};
}
