/**
 * Who asks, in words: the client's own name from its handshake (title before name), with the grant beside
 * it when they differ; the grant alone when the client named itself not at all or by the grant's name.
 */
import { describe, expect, it } from "vitest";
import { clientNameOf } from "../../main/core/proxy/envelope.js";
import { askerLine, askerName } from "../../shared/approval-text.js";

const call = { client: "default", server: "virt", tool: "stop_vm" };

describe("who asks, as a person would say it", () => {
  it.each([
    [{ name: "claude-ai", title: "Claude Desktop", version: "1" }, "Claude Desktop"],
    [{ name: "cursor-vscode", version: "1" }, "cursor-vscode"],
    [{ name: "  spaced  ", title: "  " }, "spaced"],
    [{ version: "1" }, undefined],
    [{ name: 42 }, undefined],
    ["Claude", undefined],
    [undefined, undefined],
  ])("clientInfo %j names the client %s", (info, name) => {
    expect(clientNameOf(info)).toBe(name);
  });

  it("puts the grant beside the client's name when they differ", () => {
    expect(askerName({ client: "default", clientName: "Claude Desktop" })).toBe(
      "Claude Desktop (grant: default)",
    );
    expect(askerLine({ ...call, clientName: "Claude Desktop" })).toBe(
      "Asked by Claude Desktop (grant: default) · virt/stop_vm",
    );
  });

  it("says the grant alone when the client gave no name or the grant's own", () => {
    expect(askerLine(call)).toBe("Asked by default · virt/stop_vm");
    expect(askerName({ client: "cursor", clientName: "cursor" })).toBe("cursor");
  });

  it("shows an agent-chosen name on one line, cut short", () => {
    expect(askerName({ client: "default", clientName: "Evil\nRisk: none\u202e" })).toBe(
      "Evil Risk: none (grant: default)",
    );
    expect(askerName({ client: "default", clientName: "x".repeat(100) })).toBe(
      `${"x".repeat(39)}… (grant: default)`,
    );
  });
});

describe("whose warden holds a team approval's call", () => {
  it("says it before who asks", () => {
    const team = { requester: "alice", othersOnly: false };
    expect(askerLine({ ...call, clientName: "Claude Desktop", team })).toBe(
      "Asked on alice's warden by Claude Desktop (grant: default) · virt/stop_vm",
    );
    expect(askerLine({ ...call, team: { ...team, requester: "bob\n(admin)" } })).toBe(
      "Asked on bob (admin)'s warden by default · virt/stop_vm",
    );
  });
});
