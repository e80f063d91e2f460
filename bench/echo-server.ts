/**
 * The benchmarks' upstream: an MCP server with one tool, `echo`, that answers at once. The same code
 * serves over stdio (the default) or over Streamable HTTP (`--http PORT`, 0 picks a free port), so the
 * direct paths and the paths through the warden talk to the same upstream.
 *
 * Over HTTP it prints `echo listening on http://127.0.0.1:PORT/mcp` and serves:
 *   /mcp  Streamable HTTP, one transport and one `Server` per session (as the warden does);
 *   /raw  a canned JSON-RPC answer with no MCP SDK in the way: the floor of an HTTP round trip.
 *
 * Usage: node --import tsx bench/echo-server.ts [--http PORT]  (the benchmarks run an esbuild bundle of it)
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  isInitializeRequest,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

const ECHO_TOOL = {
  name: "echo",
  description: "Returns its text argument.",
  inputSchema: { type: "object" as const, properties: { text: { type: "string" } } },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** One MCP server with the `echo` tool. */
function echoServer(): Server {
  const server = new Server({ name: "bench-echo", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [ECHO_TOOL] }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => ({
    content: [{ type: "text", text: String(request.params.arguments?.text ?? "") }],
  }));
  return server;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

async function serveHttp(port: number): Promise<void> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer((req, res) => {
    const route = async () => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path === "/raw") {
        const body = (await readBody(req)) as { id?: unknown } | undefined;
        const answer = {
          jsonrpc: "2.0",
          id: body?.id ?? null,
          result: { content: [{ type: "text", text: "" }] },
        };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
        return;
      }
      if (path !== "/mcp") {
        res.writeHead(404).end();
        return;
      }
      const body = req.method === "POST" ? await readBody(req) : undefined;
      const sessionId = req.headers["mcp-session-id"];
      if (typeof sessionId === "string") {
        const transport = transports.get(sessionId);
        if (!transport) {
          res.writeHead(404).end();
          return;
        }
        await transport.handleRequest(req, res, body);
        return;
      }
      if (req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(400).end();
        return;
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await echoServer().connect(transport);
      await transport.handleRequest(req, res, body);
    };
    route().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const { port: bound } = http.address() as AddressInfo;
  process.stdout.write(`echo listening on http://127.0.0.1:${bound}/mcp\n`);
}

const { values } = parseArgs({ options: { http: { type: "string" } } });
// Exit on SIGTERM through process.exit, so `--cpu-prof` writes its profile.
process.on("SIGTERM", () => process.exit(0));
if (values.http !== undefined) {
  await serveHttp(Number(values.http));
} else {
  await echoServer().connect(new StdioServerTransport());
}
