/** The JSONC reader and editor: values as JSON.parse gives them, edits that leave every other byte alone. */
import { describe, expect, it } from "vitest";
import {
  formatJson,
  insertProperty,
  JsoncError,
  type JsonNode,
  nodeAt,
  parseJsonc,
  removeProperty,
  replaceValue,
} from "../../main/core/clients/jsonc.js";

/** A VS Code settings.json: comments of both kinds, trailing commas, four-space indentation. */
const SETTINGS = `{
    // Editor
    "editor.fontSize": 14,
    /* MCP servers */
    "mcp": {
        "servers": {
            "one": { "command": "node", "args": ["a.js"] }, // first
            "two": {
                "url": "http://example.com/mcp",
            },
        },
    },
}
`;

function at(text: string, ...path: (string | number)[]): JsonNode {
  const node = nodeAt(parseJsonc(text), path);
  if (!node) throw new Error(`nothing at ${path.join(".")}`);
  return node;
}

describe("parseJsonc", () => {
  it("reads plain JSON exactly as JSON.parse does", () => {
    const text = JSON.stringify({ a: [1, -2.5e3, "x\\u00e9\n", true, false, null], b: { c: {} }, d: [] });
    expect(parseJsonc(text).value).toEqual(JSON.parse(text));
  });

  it("reads comments, trailing commas and a byte-order mark", () => {
    expect(parseJsonc(`\uFEFF${SETTINGS}`).value).toEqual({
      "editor.fontSize": 14,
      mcp: { servers: { one: { command: "node", args: ["a.js"] }, two: { url: "http://example.com/mcp" } } },
    });
  });

  it("knows where each value is", () => {
    const node = at(SETTINGS, "mcp", "servers", "one");
    expect(SETTINGS.slice(node.offset, node.offset + node.length)).toBe(
      '{ "command": "node", "args": ["a.js"] }',
    );
    expect(at(SETTINGS, "mcp", "servers", "one", "args", 0).value).toBe("a.js");
  });

  it("treats __proto__ as an ordinary key", () => {
    const value = parseJsonc('{"__proto__": {"polluted": true}}').value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"a": 1,, }', "line 1, column 9"],
    ['{\n  "a": tru\n}', "line 2, column 8"],
    ['{"a": "tab\there"}', "invalid string"],
    ["{ /* never closed", "unterminated comment"],
    ['{"a": 1} x', "unexpected text after the value"],
    ["[1, ", "unexpected end of text"],
    ["[1, 2", 'expected "," or "]"'],
  ])("refuses %j with the line and column (%s)", (text, message) => {
    expect(() => parseJsonc(text)).toThrow(JsoncError);
    expect(() => parseJsonc(text)).toThrow(message);
  });
});

describe("editing in place", () => {
  it("replaces a value and keeps every comment, trailing comma and the indentation", () => {
    const edited = replaceValue(SETTINGS, at(SETTINGS, "mcp", "servers", "two"), { type: "http", url: "u" });
    expect(edited).toBe(
      SETTINGS.replace(
        '{\n                "url": "http://example.com/mcp",\n            }',
        '{\n                "type": "http",\n                "url": "u"\n            }',
      ),
    );
    expect(parseJsonc(edited).value).toMatchObject({ mcp: { servers: { two: { type: "http", url: "u" } } } });
  });

  it("keeps a one-line value on one line", () => {
    const edited = replaceValue(SETTINGS, at(SETTINGS, "mcp", "servers", "one"), {
      url: "u",
      headers: { a: "b" },
    });
    expect(edited).toContain('"one": { "url": "u", "headers": { "a": "b" } }, // first');
  });

  it("keeps Windows line endings", () => {
    const crlf = SETTINGS.replaceAll("\n", "\r\n");
    const edited = replaceValue(crlf, at(crlf, "mcp", "servers", "two"), { a: 1, b: 2 });
    expect(edited.replaceAll("\r\n", "")).not.toContain("\n");
  });

  it("adds a property after the last one, keeping trailing-comma style", () => {
    const edited = insertProperty(SETTINGS, at(SETTINGS, "mcp", "servers"), "three", { command: "x" });
    expect(parseJsonc(edited).value).toMatchObject({ mcp: { servers: { three: { command: "x" } } } });
    expect(edited).toContain(
      '            },\n            "three": {\n                "command": "x"\n            },\n        },',
    );
  });

  it("adds to plain JSON without a trailing comma, and to an empty object", () => {
    const json = '{\n  "mcpServers": {\n    "a": { "command": "x" }\n  }\n}\n';
    const added = insertProperty(json, at(json, "mcpServers"), "b", { url: "http://h/mcp" });
    expect(JSON.parse(added)).toEqual({ mcpServers: { a: { command: "x" }, b: { url: "http://h/mcp" } } });
    expect(added).toContain(
      '    "a": { "command": "x" },\n    "b": {\n      "url": "http://h/mcp"\n    }\n  }',
    );
    const empty = '{"mcpServers": {}}';
    expect(JSON.parse(insertProperty(empty, at(empty, "mcpServers"), "a", { command: "x" }))).toEqual({
      mcpServers: { a: { command: "x" } },
    });
  });

  it("removes the first, a middle, the last and the only property, leaving valid JSON", () => {
    const json = '{\n  "s": {\n    "a": 1,\n    "b": 2,\n    "c": 3\n  }\n}\n';
    const without = (text: string, key: string) => removeProperty(text, at(text, "s"), key);
    expect(without(json, "a")).toBe('{\n  "s": {\n    "b": 2,\n    "c": 3\n  }\n}\n');
    expect(without(json, "b")).toBe('{\n  "s": {\n    "a": 1,\n    "c": 3\n  }\n}\n');
    expect(without(json, "c")).toBe('{\n  "s": {\n    "a": 1,\n    "b": 2\n  }\n}\n');
    expect(without(without(without(json, "a"), "b"), "c")).toBe('{\n  "s": {}\n}\n');
    expect(without(json, "missing")).toBe(json);
  });

  it("adding then removing a property gives back the same text", () => {
    const json = '{\n  "mcpServers": {\n    "a": { "command": "x" }\n  }\n}\n';
    const added = insertProperty(json, at(json, "mcpServers"), "b", { command: "y" });
    expect(removeProperty(added, at(added, "mcpServers"), "b")).toBe(json);
  });
});

describe("formatJson", () => {
  it("keeps short objects on one line and breaks long ones", () => {
    const text = formatJson({ a: { match: { action: "stop" } }, long: "x".repeat(120), list: [1, 2] });
    expect(text).toBe(
      `{\n  "a": { "match": { "action": "stop" } },\n  "long": "${"x".repeat(120)}",\n  "list": [1, 2]\n}\n`,
    );
    expect(JSON.parse(text)).toEqual({
      a: { match: { action: "stop" } },
      long: "x".repeat(120),
      list: [1, 2],
    });
  });
});
