import { describe, expect, it } from "vitest";
import { toolErrorText, toolFailed } from "../../main/core/proxy/tool-outcome.js";

describe("a tool's answer as an outcome", () => {
  it.each([
    ["a plain result", { content: [{ type: "text", text: "ok" }] }, false],
    ["isError: true", { isError: true, content: [{ type: "text", text: "boom" }] }, true],
    [
      "structured success: false",
      { content: [], structuredContent: { success: false, error: "no VM" } },
      true,
    ],
    ["structured success: true", { content: [], structuredContent: { success: true } }, false],
    ["structured content without success", { content: [], structuredContent: { vms: [] } }, false],
    [
      'success: "false" as text is not a failure',
      { content: [], structuredContent: { success: "false" } },
      false,
    ],
  ])("%s → tool error: %s", (_name, result, failed) => {
    expect(toolFailed(result as never)).toBe(failed);
  });

  it("takes the failure's words from the structured error, else the first text block", () => {
    expect(
      toolErrorText({
        content: [{ type: "text", text: '{"success": false}' }],
        structuredContent: { success: false, error: "VM 'x' not found" },
      }),
    ).toBe("VM 'x' not found");
    expect(toolErrorText({ isError: true, content: [{ type: "text", text: "boom" }] })).toBe("boom");
    expect(toolErrorText({ content: [], structuredContent: { success: false } })).toBeUndefined();
  });
});
