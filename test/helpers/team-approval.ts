/**
 * Two members' wardens (`mcp-warden serve`, Alice's and Bob's) on one real redis-server, both connected to
 * the team, with a policy whose stop_vm asks the other members; and a real SDK client that introduces
 * itself as Claude Desktop and calls on Alice's warden.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { memberDirs, writeTeamSettings } from "./redis.js";
import {
  CLIENT_TOKEN,
  type RunningWarden,
  startWarden,
  tempDir,
  virtualizationServer,
  waitFor,
} from "./warden.js";

/** stop_vm asks the team's other members; everything else is refused. */
export const TEAM_APPROVAL_POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: { stop_vm: { action: "approve", approval: { team: true, others: true, timeout: "1m" } } },
});

/** Alice's and Bob's wardens on `redisUrl`, once both say they are connected to the team. */
export async function aliceAndBob(
  redisUrl: string,
  env: (name: string) => Record<string, string> = () => ({}),
): Promise<{ alice: RunningWarden; bob: RunningWarden }> {
  const dirs = memberDirs(["alice", "bob"]);
  writeTeamSettings(dirs, redisUrl);
  const [alice, bob] = await Promise.all(
    dirs.map((dir) =>
      startWarden({
        policy: TEAM_APPROVAL_POLICY,
        dataDir: dir.dataDir,
        servers: { virt: virtualizationServer("testing", join(tempDir(), "virt.json")) },
        env: env(dir.name),
      }),
    ),
  );
  if (!alice || !bob) throw new Error("no members");
  try {
    await waitFor(
      async () =>
        (await Promise.all([alice, bob].map((w) => w.api("getTeam")))).every((t) => t.state === "connected"),
      20_000,
      "both wardens connected to the team",
    );
  } catch (error) {
    await Promise.all([alice.stop(), bob.stop()]);
    throw error;
  }
  return { alice, bob };
}

/** A real SDK client on `warden`'s virt endpoint that introduces itself as Claude Desktop. */
export async function claudeDesktop(warden: RunningWarden): Promise<Client> {
  const client = new Client({ name: "claude-ai", title: "Claude Desktop", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${warden.url}/mcp/virt`), {
      requestInit: { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } },
    }),
  );
  return client;
}
