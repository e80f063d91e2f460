import { describe, expect, it } from "vitest";
import { cursorContext, locatePath, parseErrorPath } from "../../renderer/src/policy/json-paths.js";
import { mergeErrors, placeErrors } from "../../renderer/src/policy/lint.js";
import { parsePolicy } from "../../shared/policy-schema.js";

const TEXT = `{
  "version": "1",
  "default": "deny",
  "tools": {
    "a/b": { "action": "alow" },
    "stop_vm": { "limits": [ { "counter": "c", "window": "minute", "max": -1 } ] }
  }
}`;

/** The text at a range. */
const at = (text: string, r: { from: number; to: number } | undefined) =>
  r ? text.slice(r.from, r.to) : undefined;

describe("parseErrorPath", () => {
  it.each([
    ["(root)", []],
    ["default", ["default"]],
    ["tools.stop_vm.limits[0].max", ["tools", "stop_vm", "limits", 0, "max"]],
    ['tools["a/b"].action', ["tools", "a/b", "action"]],
    ['tools["say \\"hi\\""][2]', ["tools", 'say "hi"', 2]],
  ])("%s", (path, expected) => {
    expect(parseErrorPath(path)).toEqual(expected);
  });
});

describe("locatePath", () => {
  it.each([
    [["default"], '"deny"'],
    [["tools", "a/b", "action"], '"alow"'],
    [["tools", "stop_vm", "limits", 0, "max"], "-1"],
    [["tools", "stop_vm", "limits", 0], "{"],
    [["tools", "stop_vm"], '"stop_vm"'],
    [["tools", "stop_vm", "approval", "timeout"], '"stop_vm"'],
    [[], "{"],
  ])("%j is at %s", (path, expected) => {
    expect(at(TEXT, locatePath(TEXT, path))).toBe(expected);
  });

  it("points at an unrecognized key's name", () => {
    const text = '{ "version": "1", "default": "deny", "tools": { "x": { "acton": "deny" } } }';
    expect(at(text, locatePath(text, ["tools", "x"], "acton"))).toBe('"acton"');
  });
});

describe("placeErrors", () => {
  it("places the shared schema's errors at their values", () => {
    const result = parsePolicy(TEXT);
    expect(result.ok).toBe(false);
    const placed = placeErrors(TEXT, result.ok ? [] : result.errors);
    expect(placed.map((p) => at(TEXT, p))).toEqual(expect.arrayContaining(['"alow"', "-1"]));
    expect(placed.find((p) => at(TEXT, p) === '"alow"')?.message).toMatch(/^tools\["a\/b"\]\.action: /);
  });

  it("places a JSON syntax error at its position", () => {
    const text = '{ "version": "1",, }';
    const result = parsePolicy(text);
    const [placed] = placeErrors(text, result.ok ? [] : result.errors);
    expect(placed?.from).toBe(text.indexOf(",,") + 1);
    expect(placed?.message).toMatch(/not valid JSON/);
  });

  it("places an unrecognized key at the key", () => {
    const text = '{ "version": "1", "default": "deny", "tools": { "x": { "acton": "deny" } } }';
    const result = parsePolicy(text);
    const placed = placeErrors(text, result.ok ? [] : result.errors);
    expect(placed.map((p) => at(text, p))).toContain('"acton"');
  });

  it("merges error lists without repeats", () => {
    const e = { path: "a", message: "m" };
    expect(mergeErrors([e], [e, { path: "b", message: "m" }])).toEqual([e, { path: "b", message: "m" }]);
  });
});

describe("cursorContext", () => {
  const ctx = (textWithCursor: string) => {
    const pos = textWithCursor.indexOf("|");
    return cursorContext(textWithCursor.replace("|", ""), pos);
  };
  it.each([
    ['{ "tools": { |', { container: ["tools"], inKey: true }],
    ['{ "tools": { "st|', { container: ["tools"], inKey: true }],
    ['{ "tools": { "a": {}, |', { container: ["tools"], inKey: true }],
    [
      '{ "tools": { "stop_vm": { "action": |',
      { container: ["tools", "stop_vm"], inKey: false, property: "action" },
    ],
    [
      '{ "tools": { "stop_vm": { "action": "ap|',
      { container: ["tools", "stop_vm"], inKey: false, property: "action" },
    ],
    [
      '{ "tools": { "x": { "limits": [ { "scope": |',
      { container: ["tools", "x", "limits", 0], inKey: false, property: "scope" },
    ],
    ['{ "tools": { "x": { "limits": [ {}, { |', { container: ["tools", "x", "limits", 1], inKey: true }],
    ['{ "default": |', { container: [], inKey: false, property: "default" }],
    ['{ "comment": "a { b", |', { container: [], inKey: true }],
  ])("%s", (text, expected) => {
    expect(ctx(text)).toEqual(expected);
  });

  it("is undefined outside any object", () => {
    expect(ctx("|{}")).toBeUndefined();
  });
});
