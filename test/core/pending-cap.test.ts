/** Calls waiting for a human are bounded: past the cap, a new one is refused at once. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_PENDING_APPROVALS, Warden } from "../../main/core/warden.js";
import { tempDir } from "../helpers/warden.js";

/** No upstream is reached in this test: a call that got through would fail here. */
const forward = () => Promise.reject(new Error("no upstream in this test"));

describe("pending approvals", () => {
  it(`at most ${MAX_PENDING_APPROVALS} wait at once; the next is refused and saying why`, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "approve", tools: {} }));
    const store = new Map<string, unknown>();
    const warden = await Warden.start({
      policyPath: join(dir, "policy.json"),
      auditPath: join(dir, "audit.jsonl"),
      settings: { get: (k) => store.get(k), set: (k, v) => store.set(k, v) },
      servers: { mcpServers: {} },
    });
    try {
      const waiting = Array.from({ length: MAX_PENDING_APPROVALS }, (_, i) =>
        warden
          .handleCall({ server: "virt", tool: "stop_vm", args: { i }, grant: "g", session: "s", forward })
          .catch(() => undefined),
      );
      expect(warden.broker.list()).toHaveLength(MAX_PENDING_APPROVALS);
      const refused = await warden.handleCall({
        server: "virt",
        tool: "stop_vm",
        args: { i: "one more" },
        grant: "g",
        session: "s",
        forward,
      });
      expect(refused.refused?.isError).toBe(true);
      expect(JSON.stringify(refused.refused?.content)).toContain("already waiting for a human");
      warden.broker.denyAll();
      await Promise.all(waiting);
    } finally {
      await warden.close();
    }
  });
});
