/**
 * A team approval on the other members' machines: two real wardens (`mcp-warden serve`) on one real
 * redis-server. Alice's client asks; Bob's warden sends the `approvalAdded` event its tray, notifications
 * and UI listen to, with whose warden holds the call and the client as it introduced itself.
 */
import { afterEach, describe, expect, it } from "vitest";
import { askerLine } from "../../shared/approval-text.js";
import { type EventWatch, watchEvents } from "../helpers/events.js";
import { type RunningRedis, startRedis } from "../helpers/redis.js";
import { aliceAndBob, claudeDesktop } from "../helpers/team-approval.js";
import { callTool, type RunningWarden, textOf } from "../helpers/warden.js";

let redis: RunningRedis | undefined;
let wardens: RunningWarden[] = [];
const watches: EventWatch[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const watch of watches.splice(0)) watch.close();
  await Promise.all(wardens.map((w) => w.stop()));
  wardens = [];
  await redis?.stop();
  redis = undefined;
});

describe("a teammate's approval request", () => {
  it("reaches the other member's warden as an approvalAdded event naming the holder's warden and the client", async () => {
    redis = await startRedis();
    const { alice, bob } = await aliceAndBob(redis.url);
    wardens.push(alice, bob);
    const [onAlice, onBob] = await Promise.all([watchEvents(alice), watchEvents(bob)]);
    watches.push(onAlice, onBob);

    const client = await claudeDesktop(alice);
    closers.push(() => client.close());
    const call = callTool(client, "stop_vm", { vm_name: "dev-1" });

    const heard = await onBob.next("approvalAdded");
    expect(heard.team).toEqual({ requester: "alice", othersOnly: true });
    expect(heard.clientName).toBe("Claude Desktop");
    expect(heard.recent).toEqual({ calls: 1, window: "minute" });
    expect(askerLine(heard)).toBe("Asked on alice's warden by Claude Desktop (grant: cli) · virt/stop_vm");
    // The holder's own event is the same request.
    expect((await onAlice.next("approvalAdded")).id).toBe(heard.id);

    await bob.api("deny", { id: heard.id });
    expect(textOf(await call)).toContain("bob (team) denied this call");
  }, 90_000);
});
