/**
 * PROTOTYPE for an A/B measurement (bench/prototypes/build-variants.ts puts it in place of
 * main/core/connect-bridge.ts): `mcp-warden connect` relaying JSON-RPC lines between stdio and the
 * endpoint with node:http and a keep-alive agent, without the SDK's transports (no fetch, no web streams,
 * no zod, and so no AbortSignal that gains a listener per call): each stdin line is POSTed as it is; a
 * JSON answer, or each SSE event's data, is written to stdout as one line; after initialize it holds the
 * GET stream open for server notifications.
 * Not production code as it is: the current bridge's checks (non-JSON lines, non-JSON-RPC messages,
 * over-long lines, batches) and its error answers would have to come along.
 */
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

export interface BridgeOptions {
  url: string;
  token: string;
  stdin?: Readable;
  stdout?: Writable;
}

export async function runConnectBridge(options: BridgeOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let standalone = false;
  const initializeIds = new Set<unknown>();
  const out = (text: string) => stdout.write(`${text}\n`);
  const headers = () => ({
    authorization: `Bearer ${options.token}`,
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    ...(sessionId ? { "mcp-session-id": sessionId } : {}),
    ...(protocolVersion ? { "mcp-protocol-version": protocolVersion } : {}),
  });
  const deliver = (data: string) => {
    if (initializeIds.size) {
      try {
        const m = JSON.parse(data) as { id?: unknown; result?: { protocolVersion?: string } };
        if (m.result && initializeIds.delete(m.id)) protocolVersion = m.result.protocolVersion;
      } catch {}
    }
    out(data);
  };
  const readSse = (res: import("node:http").IncomingMessage, done: () => void) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = event
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (data) deliver(data);
      }
    });
    res.on("end", done);
    res.on("error", done);
  };
  const openStandalone = () => {
    if (standalone || !sessionId) return;
    standalone = true;
    const req = request(
      target,
      { method: "GET", agent, headers: { ...headers(), accept: "text/event-stream" } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return;
        }
        readSse(res, () => {
          standalone = false;
        });
      },
    );
    req.on("error", () => {
      standalone = false;
    });
    req.end();
  };
  const post = (line: string, id: unknown) => {
    const fail = (message: string) => {
      if (id !== undefined)
        out(
          JSON.stringify({
            jsonrpc: "2.0",
            id,
            error: { code: -32603, message: `mcp-warden connect: ${message}` },
          }),
        );
    };
    const req = request(target, { method: "POST", agent, headers: headers() }, (res) => {
      const sid = res.headers["mcp-session-id"];
      if (typeof sid === "string") sessionId = sid;
      if (res.statusCode === 202) {
        res.resume();
        return;
      }
      if ((res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        readSse(res, () => {});
        return;
      }
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => {
        if ((res.statusCode ?? 500) >= 400 && !body.includes('"jsonrpc"')) fail(`HTTP ${res.statusCode}`);
        else if (body) deliver(body);
        if (protocolVersion) openStandalone();
      });
    });
    req.on("error", (e) => fail(e.message));
    req.end(line);
  };
  const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let id: unknown;
    try {
      const m = JSON.parse(line) as { id?: unknown; method?: string };
      id = m.id;
      if (m.method === "initialize") initializeIds.add(m.id);
    } catch {
      out(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }));
      continue;
    }
    post(line, id);
  }
  if (sessionId) {
    await new Promise<void>((resolve) => {
      const req = request(target, { method: "DELETE", agent, headers: headers() }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", () => resolve());
      req.end();
    });
  }
  agent.destroy();
}
