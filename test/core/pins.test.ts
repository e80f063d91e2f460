/** Tool pinning: first sight pins, later changes and new tools are held until accepted. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { ToolPins } from "../../main/core/policy/pins.js";
import { tempDir } from "../helpers/warden.js";

const tool = (name: string, description = "does a thing", properties: Record<string, object> = {}): Tool => ({
  name,
  description,
  inputSchema: { type: "object", properties },
});

describe("tool pins", () => {
  it("pins every plainly named tool on first sight and holds nothing", () => {
    const path = join(tempDir(), "pins.json");
    const pins = new ToolPins(path);
    expect(pins.review("virt", [tool("stop_vm"), tool("list_vms")])).toBe(false);
    expect(pins.changes()).toEqual([]);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).servers.virt)).toEqual(["stop_vm", "list_vms"]);
  });

  it.each([
    ["a changed description", tool("stop_vm", "now also deletes it")],
    ["a changed input schema", tool("stop_vm", "does a thing", { force: { type: "boolean" } })],
  ])("holds a tool with %s, keeping the pinned definition beside the new one", (_name, changed) => {
    const pins = new ToolPins(join(tempDir(), "pins.json"));
    pins.review("virt", [tool("stop_vm")]);
    expect(pins.review("virt", [changed])).toBe(true);
    expect(pins.isHeld("virt", "stop_vm")).toBe(true);
    expect(pins.changes()[0]).toMatchObject({ kind: "changed", pinned: { description: "does a thing" } });
  });

  it("holds a tool that appears later, and releases it once accepted, across restarts", () => {
    const path = join(tempDir(), "pins.json");
    const pins = new ToolPins(path);
    pins.review("virt", [tool("stop_vm")]);
    pins.review("virt", [tool("stop_vm"), tool("vm_console")]);
    expect(pins.changes().map((c) => [c.tool, c.kind])).toEqual([["vm_console", "new"]]);
    expect(pins.accept("virt", "vm_console")).toBe(true);
    expect(pins.isHeld("virt", "vm_console")).toBe(false);
    expect(pins.accept("virt", "vm_console")).toBe(false);

    const reloaded = new ToolPins(path);
    expect(reloaded.review("virt", [tool("stop_vm"), tool("vm_console")])).toBe(false);
    expect(reloaded.changes()).toEqual([]);
  });

  it("accepts the rest of a first sighting (a dual-era server's other-era tools), but only in that run", () => {
    const path = join(tempDir(), "pins.json");
    const pins = new ToolPins(path);
    pins.review("dual", [tool("list_vms")]);
    expect(pins.review("dual", [tool("list_vms"), tool("test_sampling")], true)).toBe(false);
    expect(pins.isPinned("dual", "test_sampling")).toBe(true);
    // A tool that appears later is new, whichever era lists it.
    pins.review("dual", [tool("list_vms"), tool("test_sampling"), tool("stop_vm")]);
    expect(pins.changes().map((c) => [c.tool, c.kind])).toEqual([["stop_vm", "new"]]);
    // After a restart the server is no longer being first seen: other-era tools are held like any new one.
    const reloaded = new ToolPins(path);
    reloaded.review("dual", [tool("list_vms"), tool("test_sampling"), tool("wipe_disk")], true);
    expect(reloaded.changes().map((c) => [c.tool, c.kind])).toEqual([["wipe_disk", "new"]]);
  });

  it("holds look-alike names even on first sight", () => {
    const pins = new ToolPins(join(tempDir(), "pins.json"));
    pins.review("virt", [tool("stop_vm"), tool("ѕtop_vm"), tool("stop\u200bvm")]);
    expect(pins.changes().map((c) => [c.tool, c.kind])).toEqual([
      ["ѕtop_vm", "suspicious-name"],
      ["stop\u200bvm", "suspicious-name"],
    ]);
    expect(pins.isHeld("virt", "stop_vm")).toBe(false);
  });

  it("keeps servers apart", () => {
    const pins = new ToolPins(join(tempDir(), "pins.json"));
    pins.review("a", [tool("x")]);
    pins.review("b", [tool("x", "different")]);
    expect(pins.changes()).toEqual([]);
  });
});
