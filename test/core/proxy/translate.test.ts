/** The legacy-to-2026 bridge's own decisions, through its real code with the hops as plain functions. */
import { describe, expect, it } from "vitest";
import type { RawMessage } from "../../../main/core/proxy/raw-json.js";
import { type BridgeHops, LegacyBridge } from "../../../main/core/proxy/translate.js";

const raw = (text: string): RawMessage => ({ text, value: JSON.parse(text) });
const handshake = {
  capabilities: { elicitation: {} },
  clientInfo: { name: "app", version: "1" },
  protocolVersion: "2025-11-25",
};

/** Hops whose server answers from `answers` in turn and whose client answers every question with `reply`. */
function hops(answers: string[], reply?: (question: RawMessage) => string) {
  const sent: string[] = [];
  const asked: string[] = [];
  const h: BridgeHops = {
    send: async (m) => {
      sent.push(m.text);
      return raw(answers.shift() ?? '{"jsonrpc":"2.0","id":1,"result":{}}');
    },
    ask: async (q) => {
      asked.push(q.text);
      if (!reply) throw new Error("not asked");
      return raw(reply(q));
    },
    can: (q) => q.value.method === "elicitation/create",
  };
  return { h, sent, asked };
}

describe("LegacyBridge", () => {
  it("writes the envelope itself: the client's own envelope, a _meta that is no object and its own input answers go", async () => {
    const { h, sent } = hops(['{"jsonrpc":"2.0","id":1,"result":{"content":[]}}']);
    await new LegacyBridge(handshake, () => undefined).request(
      h,
      raw(
        '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","_meta":{"io.modelcontextprotocol/clientInfo":{"name":"forged"},"progressToken":3},"_meta":null,"inputResponses":{"x":1},"requestState":"mine","arguments":{"n":18446744073709551616}}}',
      ),
      undefined,
    );
    const params = JSON.parse(sent[0] ?? "{}").params;
    expect(params._meta).toEqual({
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
      "io.modelcontextprotocol/clientInfo": { name: "app", version: "1" },
    });
    expect(params).not.toHaveProperty("inputResponses");
    expect(params).not.toHaveProperty("requestState");
    expect(sent[0]).toContain('"arguments":{"n":18446744073709551616}');
  });

  it("keeps the client's other _meta members as written", async () => {
    const { h, sent } = hops([]);
    await new LegacyBridge(handshake, () => undefined).request(
      h,
      raw('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"progressToken":1.0}}}'),
      undefined,
    );
    expect(sent[0]).toContain('"progressToken":1.0');
  });

  it("a question the client cannot take ends the request with an error, not a round of empty answers", async () => {
    const sampling =
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","inputRequests":{"s":{"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}}}}';
    const { h, sent, asked } = hops([sampling]);
    const answer = await new LegacyBridge(handshake, () => undefined).request(
      h,
      raw('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t"}}'),
      undefined,
    );
    expect(sent).toHaveLength(1);
    expect(asked).toHaveLength(0);
    expect(answer.value.error).toMatchObject({ code: -32021 });
  });

  it("input_required on a request that may not have it is an error; a server asking forever is stopped", async () => {
    const ask =
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","inputRequests":{"e":{"method":"elicitation/create","params":{"message":"?","requestedSchema":{"type":"object"}}}},"requestState":"s"}}';
    const list = hops([ask]);
    const listed = await new LegacyBridge(handshake, () => undefined).request(
      list.h,
      raw('{"jsonrpc":"2.0","id":3,"method":"tools/list"}'),
      undefined,
    );
    expect(listed.value.error).toMatchObject({ code: -32603 });

    const forever = hops(
      Array.from({ length: 40 }, () => ask),
      () => '{"jsonrpc":"2.0","id":0,"result":{"action":"accept","content":{}}}',
    );
    const answer = await new LegacyBridge(handshake, () => undefined).request(
      forever.h,
      raw('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"t"}}'),
      undefined,
    );
    expect(forever.sent).toHaveLength(16);
    expect(answer.value.error).toMatchObject({ code: -32603 });
    expect(JSON.parse(forever.sent[1] ?? "{}").params).toMatchObject({
      requestState: "s",
      inputResponses: { e: { action: "accept", content: {} } },
    });
  });
});
