/**
 * `mcp-warden connect <server>`: a stdio MCP server for clients that only speak stdio. It relays every
 * JSON-RPC message, unchanged, to the warden's Streamable HTTP endpoint for that server and back, so the
 * same policy, approvals and log apply. A line that is not JSON gets a parse error, a message that is not
 * JSON-RPC an invalid-request error, an over-long line is dropped with an error, and a request the
 * endpoint cannot take gets a JSON-RPC error: nothing from stdin is silently lost.
 */
import type { Readable, Writable } from "node:stream";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  InitializeResultSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { connectionFetch } from "./fetch.js";

/** Longest line (one message) taken from stdin. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface BridgeOptions {
  url: string;
  token: string;
  stdin?: Readable;
  stdout?: Writable;
}

type RequestId = string | number | null;

/** The id of a message that looks like a request, for answering it even when it is not valid JSON-RPC. */
function idOf(value: unknown): RequestId {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
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
  const http = new StreamableHTTPClientTransport(new URL(options.url), {
    fetch: connectionFetch,
    requestInit: { headers: { authorization: `Bearer ${options.token}` } },
  });
  const initializeIds = new Set<string | number>();
  const write = (message: unknown) => stdout.write(`${JSON.stringify(message)}\n`);
  const error = (id: RequestId, code: number, message: string) =>
    write({ jsonrpc: "2.0", id, error: { code, message: `mcp-warden connect: ${message}` } });

  const relay = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message) && message.method === "initialize") initializeIds.add(message.id);
    http.send(message).catch((e: unknown) => {
      if (isJSONRPCRequest(message)) error(message.id, -32603, (e as Error).message);
      else process.stderr.write(`mcp-warden connect: ${(e as Error).message}\n`);
    });
  };

  http.onmessage = (message: JSONRPCMessage) => {
    if ("result" in message && initializeIds.delete(message.id)) {
      const init = InitializeResultSchema.safeParse(message.result);
      if (init.success) http.setProtocolVersion(init.data.protocolVersion);
    }
    write(message);
  };
  // Closing aborts the transport's event stream: that is the normal end, not an error to report.
  let closing = false;
  http.onerror = (e) => {
    if (!closing) process.stderr.write(`mcp-warden connect: ${e.message}\n`);
  };
  await http.start();

  onLines(
    stdin,
    MAX_LINE_BYTES,
    (line) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        error(null, -32700, `parse error: ${(e as Error).message}`);
        return;
      }
      const parsed = JSONRPCMessageSchema.safeParse(value);
      if (!parsed.success) {
        error(idOf(value), -32600, "invalid request: not a JSON-RPC 2.0 message");
        return;
      }
      relay(parsed.data);
    },
    () => error(null, -32600, `message over ${MAX_LINE_BYTES} bytes dropped`),
  );
  await new Promise<void>((resolve) => {
    stdin.once("end", resolve);
    stdin.once("close", resolve);
  });
  closing = true;
  await http.terminateSession().catch(() => {});
  await http.close();
}
