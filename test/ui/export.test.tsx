import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, csvField, toCsv, toJsonl } from "../../renderer/src/calls/export.js";
import { argsSummary, callMatcher, NO_FILTER } from "../../renderer/src/calls/filter.js";
import { call } from "./fake-api.js";

describe("export", () => {
  it("writes one JSON object per line", () => {
    const calls = [call({ id: "a", args: { vm_name: "x\ny" } }), call({ id: "b" })];
    const lines = toJsonl(calls).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0] as string)).toEqual(calls[0]);
    expect(JSON.parse(lines[1] as string).id).toBe("b");
  });

  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ["+1", "'+1"],
    ["-2", "'-2"],
    ["@SUM(A1)", "'@SUM(A1)"],
  ])("CSV field %j → %s", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("writes a header and one row per call, arguments as JSON", () => {
    const csv = toCsv([
      call({ ts: Date.UTC(2026, 0, 2, 3, 4, 5), tool: "stop_vm", args: { vm_name: "dev,web" } }),
    ]);
    const [header, row, end] = csv.split("\r\n");
    expect(header).toBe(CSV_COLUMNS.join(","));
    expect(row?.startsWith("2026-01-02T03:04:05.000Z,")).toBe(true);
    expect(row).toContain(",stop_vm,");
    expect(row).toContain('"{""vm_name"":""dev,web""}"');
    expect(end).toBe("");
  });
});

describe("filters", () => {
  const calls = [
    call({ id: "1", server: "a", tool: "stop_vm", status: "denied", args: { vm_name: "Prod-DB" } }),
    call({ id: "2", server: "b", tool: "stop_vm", status: "allowed", args: { vm_name: "dev" } }),
    call({ id: "3", server: "a", tool: "list_vms", status: "allowed", args: {} }),
  ];
  it.each([
    [{}, ["1", "2", "3"]],
    [{ server: "a" }, ["1", "3"]],
    [{ tool: "stop_vm" }, ["1", "2"]],
    [{ status: "allowed" as const }, ["2", "3"]],
    [{ search: "prod-db" }, ["1"]],
    [{ server: "a", status: "allowed" as const }, ["3"]],
  ])("%j", (filter, ids) => {
    expect(calls.filter(callMatcher({ ...NO_FILTER, ...filter })).map((c) => c.id)).toEqual(ids);
  });

  it("summarises arguments on one line, cut, with disguising characters escaped", () => {
    expect(argsSummary({ vm_name: "dev", force: true })).toBe('vm_name: "dev", force: true');
    expect(argsSummary({ vm_name: "a\u202Eb" })).toBe('vm_name: "a\\u202Eb"');
    expect(argsSummary({ long: "x".repeat(500) }, 20)).toHaveLength(20);
  });
});
