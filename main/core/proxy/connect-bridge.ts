/**
 * `mcp-warden connect <server>`: a stdio MCP server for clients that only speak stdio. It relays every
 * JSON-RPC message, byte for byte, to the warden's Streamable HTTP endpoint for that server and back, so
 * the same policy, approvals and log apply. A line that is not JSON gets a parse error, a message that is
 * not JSON-RPC an invalid-request error, an over-long line is dropped with an error, and a request the
 * endpoint cannot take gets a JSON-RPC error: nothing from stdin is silently lost. When the warden no
 * longer knows the session (it restarted), the bridge opens a new one with the client's own initialize
 * and sends the message again.
 */
import type { Readable, Writable } from "node:stream";
import { HttpPeer, SessionExpiredError } from "./peers.js";
import {
  errorResponse,
  kindOf,
  MessageError,
  methodOf,
  parseMessages,
  type RawMessage,
  rawIdOf,
  withId,
} from "./raw-json.js";

/** Longest line (one message) taken from stdin. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface BridgeOptions {
  url: string;
  token: string;
  /** How requests are sent (connect's checks that the warden is still the one it verified). */
  fetch?: typeof fetch;
  stdin?: Readable;
  stdout?: Writable;
}

/** The id of a message that looks like a request, for answering it even when it is not valid JSON-RPC. */
function idJsonOf(text: string): string {
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === "string" || typeof id === "number" ? JSON.stringify(id) : "null";
  } catch {
    return "null";
  }
}

/** Splits a byte stream into lines, refusing lines over `max` bytes. */
function onLines(input: Readable, max: number, line: (text: string) => void, tooLong: () => void): void {
  let pending: Buffer[] = [];
  let size = 0;
  let skipping = false;
  input.on("data", (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const part = chunk.subarray(start, nl);
      start = nl + 1;
      if (skipping || size + part.length > max) {
        if (!skipping) tooLong();
        skipping = false;
      } else {
        line(Buffer.concat([...pending, part]).toString("utf8"));
      }
      pending = [];
      size = 0;
    }
    const rest = chunk.subarray(start);
    if (skipping) return;
    if (size + rest.length > max) {
      tooLong();
      skipping = true;
      pending = [];
      size = 0;
      return;
    }
    pending.push(rest);
    size += rest.length;
  });
}

/** Runs the bridge until stdin closes; resolves then. */
export async function runConnectBridge(options: BridgeOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const http = new HttpPeer({
    url: new URL(options.url),
    headers: { authorization: `Bearer ${options.token}` },
    maxMessageBytes: 64 * 1024 * 1024,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const write = (text: string) => stdout.write(`${text}\n`);
  const error = (idJson: string, code: number, message: string) =>
    write(errorResponse(idJson, code, `mcp-warden connect: ${message}`));
  /** The client's initialize, kept to open a new session when the warden forgets this one. */
  let initialize: RawMessage | undefined;
  const initializeIds = new Set<string | number>();
  let reopened = 0;

  http.onmessage = (message) => {
    const id = message.value.id;
    if (kindOf(message.value) === "response" && (typeof id === "string" || typeof id === "number")) {
      if (initializeIds.delete(id)) {
        const version = (message.value.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof version === "string") http.protocolVersion = version;
        http.openStream();
        if (typeof id === "string" && id.startsWith("mcp-warden-connect:")) return;
      }
    }
    write(message.text);
  };

  /** Opens a new session with the client's initialize under an id of the bridge's own. */
  const reopen = async () => {
    if (!initialize) throw new Error("the warden lost the session before it was initialized");
    http.sessionId = undefined;
    http.protocolVersion = undefined;
    const id = `mcp-warden-connect:${++reopened}`;
    initializeIds.add(id);
    await http.send(withId(initialize, JSON.stringify(id)));
    await http.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  };

  const relay = async (message: RawMessage) => {
    const id = rawIdOf(message);
    if (methodOf(message) === "initialize" && id) {
      initialize = message;
      initializeIds.add(id.value);
    }
    try {
      await http.send(message.text);
    } catch (e) {
      if (e instanceof SessionExpiredError && methodOf(message) !== "initialize") {
        await reopen();
        await http.send(message.text);
        return;
      }
      throw e;
    }
  };

  onLines(
    stdin,
    MAX_LINE_BYTES,
    (line) => {
      if (!line.trim()) return;
      let message: RawMessage;
      try {
        const parsed = parseMessages(line);
        if (parsed.batch)
          throw new MessageError(-32600, "invalid request: batches are not relayed over stdio");
        message = parsed.messages[0] as RawMessage;
      } catch (e) {
        const code = e instanceof MessageError ? e.code : -32600;
        const text = code === -32700 ? (e as Error).message : "invalid request: not a JSON-RPC 2.0 message";
        error(code === -32700 ? "null" : idJsonOf(line), code, text);
        return;
      }
      relay(message).catch((e: unknown) => {
        const id = rawIdOf(message);
        if (id && kindOf(message.value) === "request") error(id.text, -32603, (e as Error).message);
        else process.stderr.write(`mcp-warden connect: ${(e as Error).message}\n`);
      });
    },
    () => error("null", -32600, `message over ${MAX_LINE_BYTES} bytes dropped`),
  );
  await new Promise<void>((resolve) => {
    stdin.once("end", resolve);
    stdin.once("close", resolve);
  });
  await http.close();
}
