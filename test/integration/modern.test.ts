/**
 * MCP 2026-07-28 through the warden: a TS SDK v2 client pinned to the new revision (no initialize, no
 * session, `server/discover` and per-request `_meta`) and one in legacy mode, both governed by the same
 * policy, limits and audit; the front door's header and `_meta` checks; isolation between clients;
 * subscriptions/listen.
 */
import { join } from "node:path";
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningFixture, startFixture } from "../helpers/fixture-server.js";
import {
  CLIENT_TOKEN,
  grantArgs,
  messageTexts,
  type RunningWarden,
  readState,
  repoRoot,
  SEED_POLICY,
  startWarden,
  tempDir,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

const MODERN = "2026-07-28";
let warden: RunningWarden | undefined;
const clients: ClientV2[] = [];
const legacyClients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const c of legacyClients.splice(0)) await c.close().catch(() => {});
  await warden?.stop();
  warden = undefined;
});

async function v2Client(w: RunningWarden, server: string, mode: "modern" | "legacy", token = CLIENT_TOKEN) {
  const client = new ClientV2(
    { name: `v2-${mode}`, version: "1.0.0" },
    { versionNegotiation: { mode: mode === "modern" ? { pin: MODERN } : "legacy" } },
  );
  await client.connect(
    new HttpV2(new URL(`${w.url}/mcp/${server}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

const ALLOW_ALL = { version: "1", default: "allow", tools: {} };

/** A warden in front of `servers`, once each of them is connected. */
async function connectedWarden(servers: Record<string, object>, policy: object = ALLOW_ALL) {
  warden = await startWarden({ policy: JSON.stringify(policy), servers: servers as never });
  const w = warden;
  await waitFor(
    async () =>
      ((await w.api("listServers", {})) as { name: string; state: string }[]).filter(
        (x) => x.name in servers && x.state === "connected",
      ).length === Object.keys(servers).length,
    10_000,
    "the servers to connect",
  );
  return w;
}

/** Waits until the warden's catalogue of `server` lists `tool`. */
async function waitForTool(w: RunningWarden, server: string, tool: string) {
  type Status = { name: string; tools: { name: string }[] };
  await waitFor(
    async () =>
      ((await w.api("listServers", {})) as Status[])
        .find((x) => x.name === server)
        ?.tools.some((t) => t.name === tool) === true,
    10_000,
    `${tool} in the catalogue`,
  );
}

function text(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("");
}

describe("a TS SDK v2 client in either era", () => {
  it.each(["modern", "legacy"] as const)(
    "%s: the seed policy lets exactly 10 stop_vm a minute through",
    async (mode) => {
      const state = join(tempDir(), "virt.json");
      warden = await startWarden({
        policy: SEED_POLICY,
        servers: { virt: virtualizationServer("testing", state) },
      });
      const client = await v2Client(warden, "virt", mode);
      const names = (await client.listTools()).tools.map((t) => t.name);
      // Filtered as in the legacy era: the seed's only rule is stop_vm (and the tools that can stop a VM).
      expect(names).toContain("stop_vm");
      expect(names).not.toContain("delete_vm");
      expect(names).not.toContain("list_vms");
      const results = [];
      for (let i = 0; i < 11; i++)
        results.push(await client.callTool({ name: "stop_vm", arguments: { vm_name: `dev-${i}` } }));
      expect(results.filter((r) => !r.isError)).toHaveLength(10);
      expect(text(results[10])).toContain('limit "stop_vm_rate" reached: 10 per minute per grant');
      expect(readState(state).calls.filter((c) => c.tool === "stop_vm")).toHaveLength(10);
      const calls = await warden.api("listCalls", {});
      expect(calls.filter((c) => c.status === "rate-limited")).toHaveLength(1);
    },
  );
});

/** A raw 2026-07-28 POST, so the test sees the status and the exact error. */
async function post(
  w: RunningWarden,
  body: Record<string, unknown>,
  headers: Record<string, string | undefined>,
  server = "virt",
): Promise<{
  status: number;
  body: { error?: { code: number; data?: unknown }; result?: Record<string, unknown> };
}> {
  const res = await fetch(`${w.url}/mcp/${server}`, {
    method: "POST",
    headers: Object.fromEntries(
      Object.entries({
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${CLIENT_TOKEN}`,
        ...headers,
      }).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
  });
  const texts = messageTexts(res.headers.get("content-type") ?? "", await res.text());
  return { status: res.status, body: JSON.parse(texts.at(-1) ?? "{}") };
}

const META = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
};

describe("the 2026-07-28 front door", () => {
  it("answers server/discover from the upstream's own handshake", async () => {
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const { status, body } = await post(
      warden,
      { method: "server/discover", params: { _meta: META } },
      { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" },
    );
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      resultType: "complete",
      supportedVersions: [MODERN],
      capabilities: { tools: { listChanged: true } },
      cacheScope: "private",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: expect.any(String) } },
    });
  });

  it("refuses what the revision forbids, each with its status and code", async () => {
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const w = warden;
    const list = { method: "tools/list", params: { _meta: META } };
    const cases: [string, Record<string, unknown>, Record<string, string | undefined>, number, number][] = [
      [
        "Mcp-Method disagrees",
        list,
        { "mcp-protocol-version": MODERN, "mcp-method": "prompts/list" },
        400,
        -32020,
      ],
      ["Mcp-Method missing", list, { "mcp-protocol-version": MODERN }, 400, -32020],
      [
        "header and body versions disagree",
        {
          method: "tools/list",
          params: { _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "v999.0.0" } },
        },
        { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" },
        400,
        -32020,
      ],
      [
        "an unsupported version",
        {
          method: "tools/list",
          params: { _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "v999.0.0" } },
        },
        { "mcp-protocol-version": "v999.0.0", "mcp-method": "tools/list" },
        400,
        -32022,
      ],
      [
        "no _meta",
        { method: "tools/list", params: {} },
        { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" },
        400,
        -32602,
      ],
      [
        "a tools/call whose Mcp-Name is another tool",
        { method: "tools/call", params: { name: "stop_vm", arguments: {}, _meta: META } },
        { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "list_vms" },
        400,
        -32020,
      ],
      [
        "initialize with a 2026 _meta",
        { method: "initialize", params: { _meta: META } },
        { "mcp-protocol-version": MODERN, "mcp-method": "initialize" },
        404,
        -32601,
      ],
      [
        "ping",
        { method: "ping", params: { _meta: META } },
        { "mcp-protocol-version": MODERN, "mcp-method": "ping" },
        404,
        -32601,
      ],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const answer = await post(w, body, headers);
      expect({ what, status: answer.status, code: answer.body.error?.code }).toEqual({ what, status, code });
    }
    const unsupported = await post(w, cases[3]?.[1] ?? {}, cases[3]?.[2] ?? {});
    expect(unsupported.body.error?.data).toEqual({ supported: [MODERN], requested: "v999.0.0" });
    const encoded = await post(
      w,
      { method: "tools/call", params: { name: "stop_vm", arguments: { vm_name: "dev-x" }, _meta: META } },
      {
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": `=?base64?${Buffer.from("stop_vm").toString("base64")}?=`,
      },
    );
    expect(encoded).toMatchObject({ status: 200, body: { result: { resultType: "complete" } } });
    const get = await fetch(`${w.url}/mcp/virt`, { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
    expect(get.status).toBe(405);
  });

  it("tasks/* in front of a server without tasks: -32021 without the extension, -32602 for a task it never made", async () => {
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const withTasks = {
      ...META,
      "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } },
    };
    const ask = (method: string, meta: object) =>
      post(
        warden as RunningWarden,
        { method, params: { taskId: "nobody-made-this", _meta: meta } },
        { "mcp-protocol-version": MODERN, "mcp-method": method, "mcp-name": "nobody-made-this" },
      );
    for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) {
      const without = await ask(method, META);
      expect({ method, status: without.status, error: without.body.error }).toEqual({
        method,
        status: 400,
        error: {
          code: -32021,
          message: `${method} needs the io.modelcontextprotocol/tasks extension`,
          data: { requiredCapabilities: { extensions: { "io.modelcontextprotocol/tasks": {} } } },
        },
      });
      const unknown = await ask(method, withTasks);
      expect({ method, status: unknown.status, code: unknown.body.error?.code }).toEqual({
        method,
        status: 200,
        code: -32602,
      });
    }
  });

  it("lists say they may not be cached across clients; results say they are complete", async () => {
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const listed = await post(
      warden,
      { method: "tools/list", params: { _meta: META } },
      { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" },
    );
    expect(listed.body.result).toMatchObject({ resultType: "complete", ttlMs: 0, cacheScope: "private" });
  });
});

describe("isolation in the 2026-07-28 era", () => {
  const fixture = { command: process.execPath, args: [join(repoRoot, "test", "fixtures", "raw-server.mjs")] };

  it("a log line reaches the client whose call caused it, not another client", async () => {
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const alice = await v2Client(warden, "fix", "modern");
    const bob = await v2Client(warden, "fix", "legacy", "bob-token");
    const bobLogs: unknown[] = [];
    bob.setNotificationHandler("notifications/message", async (n) => void bobLogs.push(n.params.data));
    const result = await alice.callTool({ name: "log", arguments: { who: "alice" } });
    expect(text(result)).toBe("logged");
    await bob.callTool({ name: "slow", arguments: { ms: 10 } });
    expect(bobLogs).toEqual([]);
  });

  it("a server's question for a 2026 client's call is refused, never put to another client", async () => {
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const bob = new ClientV2({ name: "bob", version: "1" }, { capabilities: { elicitation: {} } });
    const bobAsked: string[] = [];
    bob.setRequestHandler("elicitation/create", async (request) => {
      bobAsked.push(String(request.params.message));
      return { action: "accept", content: {} };
    });
    await bob.connect(
      new HttpV2(new URL(`${warden.url}/mcp/fix`), {
        requestInit: { headers: { authorization: "Bearer bob-token" } },
      }),
    );
    clients.push(bob);
    const alice = await v2Client(warden, "fix", "modern");
    const slow = bob.callTool({ name: "slow", arguments: { ms: 1500 } });
    const answer = await alice.callTool({ name: "confirm", arguments: { disk: "X" } });
    await slow;
    expect(bobAsked).toEqual([]);
    expect(text(answer)).toContain("elicitation failed");
  });
});

describe("a legacy server's questions to a 2026-07-28 client (multi-round-trip)", () => {
  const fixture = { command: process.execPath, args: [join(repoRoot, "test", "fixtures", "raw-server.mjs")] };
  const ALLOW = JSON.stringify({ version: "1", default: "allow", tools: {} });

  it("come back as input_required; the SDK's retry brings the answer and the same call goes on", async () => {
    warden = await startWarden({
      policy: ALLOW,
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const alice = new ClientV2(
      { name: "alice", version: "1" },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: MODERN } } },
    );
    const asked: string[] = [];
    alice.setRequestHandler("elicitation/create", async (request) => {
      asked.push(String(request.params.message));
      return { action: "accept", content: { ok: true } };
    });
    await alice.connect(
      new HttpV2(new URL(`${warden.url}/mcp/fix`), {
        requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
      }),
    );
    clients.push(alice);
    const bob = await v2Client(warden, "fix", "legacy", "bob-token");
    const answer = await alice.callTool({ name: "confirm", arguments: { disk: "X" } });
    expect(asked).toEqual(["Really wipe disk X?"]);
    expect(text(answer)).toBe("answer: accept");
    expect(text(await bob.callTool({ name: "echo", arguments: {} }))).not.toContain("wipe");
    // One call, decided and audited once, however many rounds it took.
    const calls = await warden.api("listCalls", {});
    expect(calls.filter((c) => c.tool === "confirm")).toHaveLength(1);
  });

  it("the warden's requestState is checked: altered, replayed or another grant's is refused", async () => {
    warden = await startWarden({
      policy: ALLOW,
      servers: { fix: fixture },
      extraArgs: grantArgs("bob", "bob-token"),
    });
    const w = warden;
    const caps = { ...META, "io.modelcontextprotocol/clientCapabilities": { elicitation: {} } };
    const call = (extra: Record<string, unknown>, token?: string) =>
      post(
        w,
        {
          method: "tools/call",
          params: { name: "confirm", arguments: { disk: "Y" }, _meta: caps, ...extra },
        },
        {
          "mcp-protocol-version": MODERN,
          "mcp-method": "tools/call",
          "mcp-name": "confirm",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        "fix",
      );
    const first = await call({});
    expect(first.body.result).toMatchObject({
      resultType: "input_required",
      inputRequests: { q1: { method: "elicitation/create", params: { message: "Really wipe disk Y?" } } },
    });
    const state = String(first.body.result?.requestState);
    const inputResponses = { q1: { action: "decline" } };
    const altered = `${state.slice(0, -2)}${state.at(-2) === "A" ? "B" : "A"}${state.slice(-1)}`;
    expect((await call({ inputResponses, requestState: altered })).body.error?.code).toBe(-32602);
    expect((await call({ inputResponses, requestState: state }, "bob-token")).body.error?.code).toBe(-32602);
    const other = await post(
      w,
      {
        method: "tools/call",
        params: {
          name: "confirm",
          arguments: { disk: "Z" },
          _meta: caps,
          inputResponses,
          requestState: state,
        },
      },
      { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "confirm" },
      "fix",
    );
    expect(other.body.error?.code).toBe(-32602);
    const retry = await call({ inputResponses, requestState: state });
    expect(text(retry.body.result)).toBe("answer: decline");
    expect((await call({ inputResponses, requestState: state })).body.error?.code).toBe(-32602);
  });
});

describe("subscriptions/listen", () => {
  it("acknowledges first, then announces a tool list change, tagged with the listen request's id", async () => {
    warden = await startWarden({
      policy: SEED_POLICY,
      servers: { virt: virtualizationServer("testing", join(tempDir(), "v.json")) },
    });
    const w = warden;
    const abort = new AbortController();
    const res = await fetch(`${w.url}/mcp/virt`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${CLIENT_TOKEN}`,
        "mcp-protocol-version": MODERN,
        "mcp-method": "subscriptions/listen",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "listen-1",
        method: "subscriptions/listen",
        params: { _meta: META, notifications: { toolsListChanged: true, resourceSubscriptions: ["x://y"] } },
      }),
      signal: abort.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    const events = () => messageTexts("text/event-stream", seen).map((t) => JSON.parse(t));
    const read = async (n: number) => {
      while (events().length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
    };
    await read(1);
    expect(events()[0]).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: {
        _meta: { "io.modelcontextprotocol/subscriptionId": "listen-1" },
        notifications: { toolsListChanged: true },
      },
    });
    expect(events()[0].params.notifications.resourceSubscriptions).toBeUndefined();
    await w.api("savePolicy", { text: JSON.stringify({ version: "1", default: "allow", tools: {} }) });
    await read(2);
    expect(events()[1]).toEqual({
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { "io.modelcontextprotocol/subscriptionId": "listen-1" } },
    });
    abort.abort();
  });
});

describe("a server that speaks only 2026-07-28", () => {
  const fixtures: RunningFixture[] = [];
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.stop();
  });

  it.each([
    ["answers server/discover at once", []],
    ["refuses the first request as an unsupported version", ["--reject-first"]],
  ])(
    "is asked as one when it %s: no initialize, the warden's own envelope and headers",
    async (_how, args) => {
      const upstream = await startFixture(join(repoRoot, "test", "fixtures", "modern-only-server.mjs"), args);
      fixtures.push(upstream);
      warden = await startWarden({
        policy: JSON.stringify({ version: "1", default: "allow", tools: {} }),
        servers: { modern: { url: upstream.url } },
      });
      const w = warden;
      type Status = { name: string; state: string; tools: unknown[] };
      const modern = async () =>
        ((await w.api("listServers", {})) as Status[]).find((x) => x.name === "modern");
      await waitFor(async () => (await modern())?.state === "connected", 10_000, "the server to connect");
      expect((await modern())?.tools).toHaveLength(5);
      const client = await v2Client(w, "modern", "modern");
      expect(text(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe('{"text":"hi"}');

      const requests = (await (await fetch(upstream.url.replace(/\/mcp$/, "/requests"))).json()) as {
        method: string;
        headers: Record<string, string>;
        body: { params?: { _meta?: Record<string, unknown>; name?: string } };
      }[];
      expect(requests.map((r) => r.method)).not.toContain("initialize");
      expect(requests.map((r) => r.method)).toEqual(
        expect.arrayContaining(["server/discover", "tools/list", "tools/call"]),
      );
      for (const r of requests) {
        expect(r.headers["mcp-protocol-version"]).toBe(MODERN);
        expect(r.headers["mcp-method"]).toBe(r.method);
        expect(r.body.params?._meta).toMatchObject({
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientCapabilities": expect.any(Object),
          "io.modelcontextprotocol/clientInfo": expect.objectContaining({ name: expect.any(String) }),
        });
        if (r.method === "tools/call") expect(r.headers["mcp-name"]).toBe("echo");
      }
      // The warden's own requests say it is the warden; the client's call carries the client's envelope.
      const own = requests.find((r) => r.method === "tools/list");
      expect(own?.body.params?._meta?.["io.modelcontextprotocol/clientInfo"]).toMatchObject({
        name: "mcp-warden",
      });
      const call = requests.find((r) => r.method === "tools/call");
      expect(call?.body.params?._meta?.["io.modelcontextprotocol/clientInfo"]).toMatchObject({
        name: "v2-modern",
      });
    },
  );

  type Received = {
    method: string;
    headers: Record<string, string>;
    body: { params?: Record<string, unknown> & { _meta?: Record<string, unknown> } };
  };
  async function received(upstream: RunningFixture): Promise<Received[]> {
    return (await (await fetch(upstream.url.replace(/\/mcp$/, "/requests"))).json()) as Received[];
  }

  /** A legacy (TS SDK 1.x) client through the warden, with elicitation and an answer for every question. */
  async function legacyClient(w: RunningWarden, questions: string[], elicitation = true) {
    const client = new Client(
      { name: "legacy-app", version: "1.2.3" },
      { capabilities: elicitation ? { elicitation: {} } : {} },
    );
    if (elicitation)
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        questions.push(String(request.params.message));
        return { action: "accept", content: { sure: true } };
      });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${w.url}/mcp/modern`), {
        requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
      }),
    );
    return client;
  }

  async function modernOnly(policy: object = ALLOW_ALL) {
    const upstream = await startFixture(join(repoRoot, "test", "fixtures", "modern-only-server.mjs"));
    fixtures.push(upstream);
    return { upstream, w: await connectedWarden({ modern: { url: upstream.url } }, policy) };
  }

  it("serves a legacy client: each request goes as 2026-07-28, with the client's own envelope and headers", async () => {
    const { upstream, w } = await modernOnly();
    const client = await legacyClient(w, []);
    legacyClients.push(client);
    expect(client.getServerVersion()).toMatchObject({ name: "modern-only" });
    expect(client.getInstructions()).toBe("a 2026-07-28 server");
    // bad_header breaks the x-mcp-header rules: the warden, the 2026-07-28 client here, leaves it out.
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
      "echo",
      "regional",
      "confirm",
      "slow_task",
    ]);
    await client.ping();
    await client.setLoggingLevel("warning");
    expect(text(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe('{"text":"hi"}');
    expect(
      text(await client.callTool({ name: "regional", arguments: { region: "eu-west 1", query: "q" } })),
    ).toBe('{"region":"eu-west 1","query":"q"}');

    const requests = await received(upstream);
    const fromClient = requests.filter(
      (r) =>
        (r.body.params?._meta?.["io.modelcontextprotocol/clientInfo"] as { name?: string })?.name ===
        "legacy-app",
    );
    // No handshake reached the server for it, no ping and no setLevel (2026-07-28 has neither).
    expect(fromClient.map((r) => r.method)).toEqual(["tools/list", "tools/call", "tools/call"]);
    for (const r of fromClient) {
      expect(r.headers["mcp-protocol-version"]).toBe(MODERN);
      expect(r.headers["mcp-method"]).toBe(r.method);
      expect(r.body.params?._meta).toMatchObject({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
        "io.modelcontextprotocol/clientInfo": { name: "legacy-app", version: "1.2.3" },
      });
    }
    const [, echo, regional] = fromClient;
    expect(echo?.headers["mcp-name"]).toBe("echo");
    expect(echo?.body.params?._meta?.["io.modelcontextprotocol/logLevel"]).toBe("warning");
    expect(regional?.headers["mcp-name"]).toBe("regional");
    // Not plain ASCII without edge spaces? Base64, as the revision writes it; this one is plain.
    expect(regional?.headers["mcp-param-region"]).toBe("eu-west 1");
    const calls = await w.api("listCalls", {});
    expect(calls.filter((c) => c.server === "modern").map((c) => c.tool)).toEqual(["regional", "echo"]);
  });

  it("puts the server's question to the legacy client as its own request and retries with the answer", async () => {
    const { upstream, w } = await modernOnly();
    const questions: string[] = [];
    const client = await legacyClient(w, questions);
    legacyClients.push(client);
    const result = await client.callTool({ name: "confirm", arguments: { what: "wipe disk 2" } });
    expect(questions).toEqual(["Really wipe disk 2?"]);
    expect(text(result)).toBe('accept: {"sure":true}');

    const calls = (await received(upstream)).filter((r) => r.body.params?.name === "confirm");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.body.params).not.toHaveProperty("inputResponses");
    expect(calls[1]?.body.params).toMatchObject({
      arguments: { what: "wipe disk 2" },
      inputResponses: { ok: { action: "accept", content: { sure: true } } },
      requestState: `confirm:${Buffer.from("wipe disk 2").toString("base64url")}`,
    });
    // Decided and audited once: the rounds are one call.
    const audited = (await w.api("listCalls", {})).filter((c) => c.tool === "confirm");
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ outcome: "ok" });
  });

  it("a legacy client without elicitation is not asked, and the policy holds for bridged calls", async () => {
    const { upstream, w } = await modernOnly({
      version: "1",
      default: "allow",
      tools: { echo: { action: "deny", reason: "echo is off today" } },
    });
    const client = await legacyClient(w, [], false);
    legacyClients.push(client);
    const confirm = await client.callTool({ name: "confirm", arguments: { what: "x" } });
    expect(confirm.isError).toBe(true);
    expect(text(confirm)).toBe("this client cannot be asked");
    const echo = await client.callTool({ name: "echo", arguments: { text: "no" } });
    expect(echo.isError).toBe(true);
    expect(text(echo)).toContain("echo is off today");
    expect((await received(upstream)).filter((r) => r.body.params?.name === "echo")).toHaveLength(0);
  });

  it("a call held for a human that the server then runs as its own task: the warden's task follows it to its result", async () => {
    const { upstream, w } = await modernOnly({
      version: "1",
      default: "allow",
      tools: { slow_task: { action: "approve" } },
    });
    const meta = {
      ...META,
      "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } },
    };
    const headers = (method: string, name: string) => ({
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      "mcp-name": name,
    });
    const call = await post(
      w,
      { method: "tools/call", params: { name: "slow_task", arguments: {}, _meta: meta } },
      headers("tools/call", "slow_task"),
      "modern",
    );
    expect(call.body.result).toMatchObject({ resultType: "task", status: "working" });
    const taskId = String(call.body.result?.taskId);
    expect(taskId).not.toMatch(/^server-task/);
    await waitFor(async () => (await w.api("listApprovals")).length === 1, 10_000, "the approval prompt");
    const [pending] = await w.api("listApprovals");
    expect(await w.api("approve", { id: pending?.id ?? "", callHash: pending?.callHash ?? "" })).toEqual({
      ok: true,
    });
    let done: Record<string, unknown> | undefined;
    await waitFor(
      async () => {
        const got = await post(
          w,
          { method: "tasks/get", params: { taskId, _meta: meta } },
          headers("tasks/get", taskId),
          "modern",
        );
        done = got.body.result;
        return done?.status === "completed";
      },
      10_000,
      "the warden's task to complete",
    );
    expect(done?.result).toMatchObject({ content: [{ type: "text", text: "slow done" }] });
    // The server's own task was followed with tasks/get under the client's envelope and routing headers.
    const polls = (await received(upstream)).filter((r) => r.method === "tasks/get");
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]?.headers["mcp-name"]).toBe("server-task-1");
    expect(polls[0]?.body.params?._meta).toMatchObject(meta);
  });

  it("a change to its tools reaches the warden's catalogue and its bridged legacy clients through subscriptions/listen, kept open", async () => {
    const { upstream, w } = await modernOnly();
    const client = await legacyClient(w, []);
    legacyClients.push(client);
    const told = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()),
    );
    const listening = async () => (await received(upstream)).find((r) => r.method === "subscriptions/listen");
    await waitFor(async () => (await listening()) !== undefined, 10_000, "the warden's subscriptions/listen");
    const listen = await listening();
    expect(listen?.body.params).toMatchObject({ notifications: { toolsListChanged: true } });
    expect(listen?.headers["mcp-method"]).toBe("subscriptions/listen");
    const base = upstream.url.replace(/\/mcp$/, "");
    // A stream that ends without its answer is opened again.
    expect(await (await fetch(`${base}/end-listeners`, { method: "POST" })).json()).toEqual({ ended: 1 });
    await waitFor(
      async () => (await received(upstream)).filter((r) => r.method === "subscriptions/listen").length === 2,
      10_000,
      "the warden's subscriptions/listen again",
    );
    expect(await (await fetch(`${base}/add-tool`, { method: "POST" })).json()).toMatchObject({
      listeners: 1,
    });
    await told;
    await waitForTool(w, "modern", "added5");
  });
});

describe("a real SDK server that speaks only 2026-07-28 (TS SDK v2, legacy: reject)", () => {
  let upstream: RunningFixture | undefined;
  afterEach(async () => {
    await upstream?.stop();
    upstream = undefined;
  });

  /** A TS SDK 1.x client (legacy only) that answers elicitation and sampling, and says what it was asked. */
  async function legacyApp(url: string, asked: string[], headers: Record<string, string> = {}) {
    const client = new Client(
      { name: "legacy-app", version: "1.0.0" },
      { capabilities: { elicitation: {}, sampling: {} } },
    );
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return { action: "accept", content: { confirm: true } };
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      asked.push(content && "text" in content ? String(content.text) : "");
      return { role: "assistant", model: "test-model", content: { type: "text", text: "small-model" } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    legacyClients.push(client);
    return client;
  }

  it("a legacy client cannot use it directly, and uses it through the warden: calls, elicitation, sampling, list changes", async () => {
    upstream = await startFixture(join(repoRoot, "test", "fixtures", "sdk-modern-server.mjs"));
    await expect(legacyApp(upstream.url, [])).rejects.toThrow();

    const w = await connectedWarden({ sdk: { url: upstream.url } });
    const asked: string[] = [];
    const client = await legacyApp(`${w.url}/mcp/sdk`, asked, { authorization: `Bearer ${CLIENT_TOKEN}` });
    expect(client.getServerVersion()).toMatchObject({ name: "sdk-modern-only" });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      "deploy",
      "echo",
      "pick_model",
    ]);
    expect(text(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    expect(text(await client.callTool({ name: "deploy", arguments: { env: "prod" } }))).toBe(
      "deployed to prod",
    );
    expect(text(await client.callTool({ name: "pick_model", arguments: { task: "triage" } }))).toBe(
      "model: small-model",
    );
    expect(asked).toEqual(["Deploy to prod?", "Which model for triage?"]);
    expect((await w.api("listCalls", {})).map((c) => c.tool)).toEqual(["pick_model", "deploy", "echo"]);

    const told = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()),
    );
    await fetch(upstream.url.replace(/\/mcp$/, "/add-tool"), { method: "POST" });
    await told;
    await waitForTool(w, "sdk", "added");
  });

  it("served in both eras (the SDK's default), a legacy and a 2026 client both use it through the warden and hear of its list changes", async () => {
    upstream = await startFixture(join(repoRoot, "test", "fixtures", "sdk-modern-server.mjs"), ["--dual"]);
    const w = await connectedWarden({ sdk: { url: upstream.url } });
    const legacy = await legacyApp(`${w.url}/mcp/sdk`, [], { authorization: `Bearer ${CLIENT_TOKEN}` });
    expect(text(await legacy.callTool({ name: "echo", arguments: { text: "old" } }))).toBe("old");
    const modern = await v2Client(w, "sdk", "modern");
    expect(text(await modern.callTool({ name: "echo", arguments: { text: "new" } }))).toBe("new");
    expect((await w.api("listCalls", {})).map((c) => c.tool)).toEqual(["echo", "echo"]);
    // Its stateless legacy serving has no stream for the legacy client: the warden's own listen tells it.
    const told = new Promise<void>((resolve) =>
      legacy.setNotificationHandler(PromptListChangedNotificationSchema, async () => resolve()),
    );
    await fetch(upstream.url.replace(/\/mcp$/, "/add-prompt"), { method: "POST" });
    await told;
    expect((await legacy.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(["farewell", "greeting"]);
  });

  it("over stdio it refuses the legacy handshake naming 2026-07-28, and both eras' clients are served in that revision", async () => {
    const script = join(repoRoot, "test", "fixtures", "sdk-modern-server.mjs");
    const w = await connectedWarden(
      { sdk: { command: process.execPath, args: [script, "--stdio"] } },
      { version: "1", default: "allow", tools: { deploy: { action: "approve" } } },
    );
    type Status = { name: string; transport: string; tools: unknown[] };
    const [sdk] = (await w.api("listServers", {})) as Status[];
    expect(sdk).toMatchObject({ transport: "stdio" });
    expect(sdk?.tools).toHaveLength(3);

    const asked: string[] = [];
    const legacy = await legacyApp(`${w.url}/mcp/sdk`, asked, { authorization: `Bearer ${CLIENT_TOKEN}` });
    expect(legacy.getServerVersion()).toMatchObject({ name: "sdk-modern-only" });
    expect(text(await legacy.callTool({ name: "echo", arguments: { text: "over stdio" } }))).toBe(
      "over stdio",
    );
    expect(text(await legacy.callTool({ name: "pick_model", arguments: { task: "x" } }))).toBe(
      "model: small-model",
    );
    expect(asked).toEqual(["Which model for x?"]);
    const modern = await v2Client(w, "sdk", "modern");
    expect(text(await modern.callTool({ name: "echo", arguments: { text: "2026" } }))).toBe("2026");

    // The policy governs the bridged call: deploy waits for a human, and a denial never reaches the server.
    const call = legacy.callTool({ name: "deploy", arguments: { env: "prod" } });
    await waitFor(async () => (await w.api("listApprovals")).length === 1, 10_000, "the approval prompt");
    const [pending] = await w.api("listApprovals");
    await w.api("deny", { id: pending?.id ?? "" });
    const denied = await call;
    expect(denied.isError).toBe(true);
    expect(asked).toEqual(["Which model for x?"]);
  });
});
