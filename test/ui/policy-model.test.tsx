import { describe, expect, it } from "vitest";
import { suggestionsAt } from "../../renderer/src/policy/completion.js";
import { foldDiff, lineDiff } from "../../renderer/src/policy/diff.js";
import { readRule, ruleKeyOf, writeRule } from "../../renderer/src/policy/rules.js";
import { parsePolicy } from "../../shared/policy-schema.js";
import { POLICY_TEXT } from "./fake-api.js";

describe("lineDiff", () => {
  const show = (a: string, b: string) =>
    lineDiff(a, b)
      .map((l) => `${l.kind === "add" ? "+" : l.kind === "del" ? "-" : " "}${l.text}`)
      .join("|");
  it.each([
    ["equal texts", "a\nb\n", "a\nb\n", " a| b"],
    ["a changed line", "a\nb\nc\n", "a\nB\nc\n", " a|-b|+B| c"],
    ["an added line", "a\nc", "a\nb\nc", " a|+b| c"],
    ["a removed line", "a\nb\nc", "a\nc", " a|-b| c"],
    ["from nothing", "", "x\ny", "+x|+y"],
    ["moved lines keep the longest common run", "a\nb\nc\nd", "b\nc\nd\na", "-a| b| c| d|+a"],
  ])("%s", (_name, a, b, expected) => {
    expect(show(a, b)).toBe(expected);
  });

  it("numbers lines in the old and new text", () => {
    expect(lineDiff("a\nb", "a\nx\nb")).toEqual([
      { kind: "same", text: "a", oldLine: 1, newLine: 1 },
      { kind: "add", text: "x", newLine: 2 },
      { kind: "same", text: "b", oldLine: 2, newLine: 3 },
    ]);
  });

  it("folds long unchanged runs, keeping context around changes", () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const after = before.replace("line 15", "LINE 15");
    const hunks = foldDiff(lineDiff(before, after), 2);
    expect(hunks.map((h) => (h.kind === "fold" ? `fold ${h.count}` : `lines ${h.lines.length}`))).toEqual([
      "fold 13",
      "lines 6",
      "fold 12",
    ]);
  });
});

describe("rules model", () => {
  it.each([
    ['tools["stop_vm"]', { key: "stop_vm" }],
    ['tools["virt/stop_vm"]', { key: "virt/stop_vm" }],
    ['tools["vm_management"][1]', { key: "vm_management", subRule: 1 }],
    ["default", undefined],
    ["deny-all", undefined],
  ])("ruleKeyOf(%s)", (rule, expected) => {
    expect(ruleKeyOf(rule)).toEqual(expected);
  });

  it("reads a rule as a form draft", () => {
    const text = JSON.stringify({
      version: "1",
      default: "deny",
      tools: { s: { action: "approve", reason: "r", limits: [{ counter: "c", window: "minute", max: 3 }] } },
    });
    expect(readRule(text, "s")).toEqual({
      kind: "rule",
      draft: {
        action: "approve",
        reason: "r",
        limits: [{ counter: "c", window: "minute", max: "3", scope: "global" }],
      },
    });
    expect(readRule(text, "other").kind).toBe("none");
    expect(readRule("{ nope", "s").kind).toBe("invalid");
    expect(readRule(JSON.stringify({ tools: { s: [{}, {}] } }), "s")).toEqual({
      kind: "sub-rules",
      count: 2,
    });
  });

  it("writes a rule back, keeping its other fields and producing a valid policy", () => {
    const text = JSON.stringify({
      version: "1",
      default: "deny",
      tools: { s: { action: "allow", args: { type: "object" }, comment: "keep me" } },
    });
    const out = writeRule(text, "s", {
      action: "deny",
      reason: " Not today ",
      limits: [{ counter: "c", window: "15m", max: "5", scope: "grant" }],
    });
    const parsed = parsePolicy(out);
    expect(parsed.ok).toBe(true);
    expect(JSON.parse(out).tools.s).toEqual({
      action: "deny",
      reason: "Not today",
      limits: [{ counter: "c", window: "15m", max: 5, scope: "grant" }],
      args: { type: "object" },
      comment: "keep me",
    });
    expect(JSON.parse(writeRule(out, "s", undefined)).tools).toEqual({});
    expect(
      JSON.parse(writeRule(text, "new_tool", { action: "", reason: "", limits: [] })).tools.new_tool,
    ).toEqual({});
  });

  it("leaves a typed max that is not a whole number for the schema to refuse", () => {
    const out = writeRule(POLICY_TEXT, "x", {
      action: "",
      reason: "",
      limits: [{ counter: "c", window: "minute", max: "ten", scope: "global" }],
    });
    const parsed = parsePolicy(out);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.path)).toEqual(["tools.x.limits[0].max"]);
  });
});

describe("completion", () => {
  const tools = ["list_vms", "stop_vm", "virt/stop_vm"];
  const suggest = (textWithCursor: string) => {
    const pos = textWithCursor.indexOf("|");
    return suggestionsAt(textWithCursor.replace("|", ""), pos, tools)?.names;
  };
  it.each([
    ['{ "tools": { |', tools],
    ['{ "tools": { "stop_vm": { "action": |', ["allow", "deny", "approve"]],
    ['{ "default": |', ["allow", "deny", "approve"]],
    ['{ "tools": { "x": { "limits": [ { "scope": |', ["grant", "session", "server", "global"]],
    ['{ "tools": { "x": { "limits": [ { "window": |', ["second", "minute", "hour", "day"]],
    [
      '{ "tools": { "x": { |',
      ["action", "reason", "args", "conditions", "limits", "approval", "comment", "match"],
    ],
    ['{ "tools": { "x": { "limits": [ { |', ["counter", "window", "max", "scope", "comment"]],
    ["{ |", ["version", "default", "reason", "approval", "operations", "tools", "comment"]],
    ['{ "tools": { "x": { "reason": |', undefined],
  ])("%s", (text, expected) => {
    expect(suggest(text)).toEqual(expected);
  });
});
