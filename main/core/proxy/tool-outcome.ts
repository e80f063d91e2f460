/**
 * Whether a tool's answer reports a failure: `isError: true` (MCP's own flag), or structured content that
 * says `success: false` (how sandraschi/virtualization-mcp and many Python servers report one). Either is
 * a tool error, not "ok", in the call log.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { cutOwn } from "../cut.js";

/** The tool said it failed. */
export function toolFailed(result: Partial<CallToolResult>): boolean {
  if (result.isError === true) return true;
  const structured = result.structuredContent;
  return !!structured && typeof structured === "object" && structured.success === false;
}

/** The failure's words: the structured `error` (or `message`) when it has one, else the first text block. */
export function toolErrorText(result: Partial<CallToolResult>): string | undefined {
  const structured = result.structuredContent;
  if (structured && typeof structured === "object" && result.isError !== true) {
    const said = structured.error ?? structured.message;
    if (typeof said === "string" && said) return cutOwn(said, 2_000);
  }
  const block = Array.isArray(result.content) ? result.content.find((c) => c?.type === "text") : undefined;
  return block && "text" in block ? cutOwn(block.text, 2_000) : undefined;
}
