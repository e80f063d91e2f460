import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import {
  headerAnnotationProblem,
  LEGACY_PROTOCOL_VERSIONS,
  legacyClientMeta,
  paramHeaders,
} from "../../../main/core/proxy/envelope.js";
import { inheritedEnvironment } from "../../../main/core/proxy/upstream.js";

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

describe("headerAnnotationProblem", () => {
  const of = (properties: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    headerAnnotationProblem({ type: "object", properties, ...more });
  it("accepts annotations on primitives reached through properties alone, and schemas without any", () => {
    expect(
      of({
        a: { type: "string", "x-mcp-header": "A" },
        b: { type: "object", properties: { c: { type: "integer", "x-mcp-header": "C" } } },
      }),
    ).toBeUndefined();
    expect(headerAnnotationProblem(undefined)).toBeUndefined();
  });
  it.each([
    ["a name that is no token", { a: { type: "string", "x-mcp-header": "A B" } }, {}],
    [
      "a name used twice, ignoring case",
      { a: { type: "string", "x-mcp-header": "Id" }, b: { type: "string", "x-mcp-header": "id" } },
      {},
    ],
    ["a number", { a: { type: "number", "x-mcp-header": "A" } }, {}],
    ["an array item", { a: { type: "array", items: { type: "string", "x-mcp-header": "A" } } }, {}],
    ["a oneOf branch", {}, { oneOf: [{ properties: { a: { type: "string", "x-mcp-header": "A" } } }] }],
  ])("refuses %s", (_name, properties, more) => {
    expect(of(properties, more)).toEqual(expect.any(String));
  });
});

describe("what the relay holds instead of loading the SDK", () => {
  it("speaks the legacy revisions the SDK does", () => {
    expect([...LEGACY_PROTOCOL_VERSIONS]).toEqual([...SUPPORTED_PROTOCOL_VERSIONS]);
  });

  it("gives a stdio server the environment an SDK client gives it, without shell functions", () => {
    expect(inheritedEnvironment()).toEqual(getDefaultEnvironment());
    expect(inheritedEnvironment({ HOME: "/home/a", SHELL: "() { :; }; echo pwned", SECRET: "x" })).toEqual(
      process.platform === "win32" ? {} : { HOME: "/home/a" },
    );
  });
});
