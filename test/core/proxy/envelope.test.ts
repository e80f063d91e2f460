import { describe, expect, it } from "vitest";
import { legacyClientMeta, paramHeaders } from "../../../main/core/proxy/envelope.js";

describe("paramHeaders (x-mcp-header)", () => {
  const schema = {
    type: "object",
    properties: {
      region: { type: "string", "x-mcp-header": "Region" },
      dry: { type: "boolean", "x-mcp-header": "Dry-Run" },
      count: { type: "integer", "x-mcp-header": "Count" },
      target: { type: "object", properties: { zone: { type: "string", "x-mcp-header": "Zone" } } },
      list: { type: "array", items: { type: "object", properties: { x: { "x-mcp-header": "X" } } } },
      bad: { type: "string", "x-mcp-header": "Not a token" },
      query: { type: "string" },
    },
  };

  it("mirrors strings, booleans and safe integers reached through properties alone", () => {
    expect(
      paramHeaders(schema, {
        region: "us-west1",
        dry: false,
        count: 3,
        target: { zone: "b" },
        list: [{ x: "no" }],
        bad: "no",
        query: "SELECT 1",
      }),
    ).toEqual({
      "mcp-param-region": "us-west1",
      "mcp-param-dry-run": "false",
      "mcp-param-count": "3",
      "mcp-param-zone": "b",
    });
  });

  it("omits absent values and values it may not carry; encodes what is not plain ASCII", () => {
    expect(paramHeaders(schema, { count: 2 ** 60, dry: null, region: 1.5 })).toEqual({});
    expect(paramHeaders(schema, { region: " Zürich" })).toEqual({
      "mcp-param-region": `=?base64?${Buffer.from(" Zürich").toString("base64")}?=`,
    });
    expect(paramHeaders(undefined, { region: "x" })).toEqual({});
    // A plain value that reads as the encoded form is encoded, so it decodes back to itself.
    expect(paramHeaders(schema, { region: "=?base64?Zm9v?=" })).toEqual({
      "mcp-param-region": `=?base64?${Buffer.from("=?base64?Zm9v?=").toString("base64")}?=`,
    });
  });
});

describe("legacyClientMeta", () => {
  it("carries the handshake's capabilities (without legacy tasks), who the client is and its log level", () => {
    expect(
      legacyClientMeta(
        {
          capabilities: { elicitation: { form: {} }, tasks: { list: {} } },
          clientInfo: { name: "c", version: "1" },
        },
        "debug",
      ),
    ).toEqual({
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
      "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
      "io.modelcontextprotocol/logLevel": "debug",
    });
  });
});
