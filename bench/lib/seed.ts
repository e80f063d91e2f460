/**
 * A seeded audit log: `count` calls written as main/core/call-log.ts writes them (a decision line, then an
 * outcome line), spread over the last day, so serve starts with a history (for the UI and start-up
 * benchmarks) without making the calls.
 */
import { writeFileSync } from "node:fs";

const TOOLS = [
  "list_vms",
  "get_vm_info",
  "start_vm",
  "stop_vm",
  "vm_management",
  "create_snapshot",
  "delete_vm",
];
const CLIENTS = ["claude-desktop", "cursor", "claude-code"];

/** Writes an audit.jsonl of `count` calls ending now; returns its size in bytes. */
export function writeAuditLog(path: string, count: number, now = Date.now()): number {
  const lines: string[] = [];
  const dayMs = 86_400_000;
  for (let i = 0; i < count; i++) {
    const ts = now - dayMs + Math.floor((i * dayMs) / count);
    const tool = TOOLS[i % TOOLS.length] as string;
    const client = CLIENTS[i % CLIENTS.length] as string;
    const roll = i % 100;
    const status =
      tool === "delete_vm"
        ? "denied"
        : roll < 5
          ? "rate-limited"
          : roll < 8
            ? "approved"
            : roll < 10
              ? "rejected"
              : "allowed";
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    const counted = tool === "stop_vm" && status !== "rate-limited";
    lines.push(
      JSON.stringify({
        t: "decision",
        id,
        ts,
        client,
        session: `session-${i % 50}`,
        server: "virtualization",
        tool,
        args: { vm_name: `dev-vm-${i % 40}`, ...(tool === "vm_management" ? { action: "list" } : {}) },
        status: status === "approved" || status === "rejected" ? "awaiting-approval" : status,
        rule: tool === "delete_vm" ? 'tools["delete_vm"]' : `tools["${tool}"]`,
        reason: tool === "delete_vm" ? "Never from an agent" : "allowed by policy",
        counterKeys: counted ? [`stop_vm_rate\u0000grant:${client}`] : [],
      }),
    );
    if (status === "allowed" || status === "approved") {
      lines.push(
        JSON.stringify({
          t: "outcome",
          id,
          ts: ts + 40,
          ...(status === "approved" ? { status } : {}),
          outcome: "ok",
          latencyMs: 40 + (i % 300),
        }),
      );
    } else if (status === "rejected") {
      lines.push(
        JSON.stringify({ t: "outcome", id, ts: ts + 5_000, status, released: true, latencyMs: 5_000 }),
      );
    }
  }
  const text = `${lines.join("\n")}\n`;
  writeFileSync(path, text, { mode: 0o600 });
  return Buffer.byteLength(text);
}
