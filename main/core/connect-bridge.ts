/**
 * `mcp-warden connect <server>`: a stdio MCP server for clients that only speak stdio. It relays every
 * JSON-RPC message, unchanged, to the warden's Streamable HTTP endpoint for that server and back, so the
 * same policy, approvals and log apply. A request the endpoint cannot take gets a JSON-RPC error.
 */
import type { Readable, Writable } from "node:stream";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  InitializeResultSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";

export interface BridgeOptions {
  url: string;
  token: string;
  stdin?: Readable;
  stdout?: Writable;
}

/** Runs the bridge until stdin closes; resolves then. */
export async function runConnectBridge(options: BridgeOptions): Promise<void> {
  const http = new StreamableHTTPClientTransport(new URL(options.url), {
    requestInit: { headers: { authorization: `Bearer ${options.token}` } },
  });
  const stdio = new StdioServerTransport(options.stdin, options.stdout);
  const initializeIds = new Set<string | number>();

  stdio.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message) && message.method === "initialize") initializeIds.add(message.id);
    http.send(message).catch((error: unknown) => {
      if (!isJSONRPCRequest(message)) return;
      void stdio.send({
        jsonrpc: "2.0",
        id: message.id,
        error: { code: -32603, message: `mcp-warden connect: ${(error as Error).message}` },
      });
    });
  };
  stdio.onerror = (error) => process.stderr.write(`mcp-warden connect: ${error.message}\n`);

  http.onmessage = (message: JSONRPCMessage) => {
    if ("result" in message && initializeIds.delete(message.id)) {
      const init = InitializeResultSchema.safeParse(message.result);
      if (init.success) http.setProtocolVersion(init.data.protocolVersion);
    }
    void stdio.send(message);
  };
  http.onerror = (error) => process.stderr.write(`mcp-warden connect: ${error.message}\n`);

  const closed = new Promise<void>((resolve) => {
    stdio.onclose = () => resolve();
  });
  await http.start();
  await stdio.start();
  (options.stdin ?? process.stdin).once("end", () => void stdio.close());
  await closed;
  await http.terminateSession().catch(() => {});
  await http.close();
}
