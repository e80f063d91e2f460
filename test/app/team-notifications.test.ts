/**
 * A teammate's request raises a desktop notification here too: the notifications listen to the core's
 * `approvalAdded` event (this warden's approvals and teammates' offered to the team alike), say on whose
 * warden the call waits, and answer through the contract's `approve` and `deny` (which sign a team answer),
 * not this warden's broker, which does not hold a teammate's call.
 */
import { describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import { type Answered, DesktopNotifications, wireNotifications } from "../../main/app/notifications.js";
import { DEFAULT_APP_SETTINGS } from "../../main/app/settings.js";
import { Emitter } from "../../main/core/emitter.js";
import type { PendingApproval, WardenEvents } from "../../shared/contract.js";
import { FakeNotifier } from "./fakes.js";

const NOW = 1_000_000;

/** Alice's call, as Bob's warden hears of it from the team. */
const ALICES: PendingApproval = {
  id: "approval-1",
  callId: "call-1",
  client: "default",
  clientName: "Claude Desktop",
  server: "virt",
  tool: "stop_vm",
  args: { vm_name: "dev-1" },
  rule: 'tools["stop_vm"]',
  reason: "Stopping a VM takes services offline",
  createdAt: NOW,
  deadline: NOW + 60_000,
  callHash: "hash-1",
  team: { requester: "alice", othersOnly: true },
  recent: { calls: 2, window: "minute" },
};

function wired(platform: NodeJS.Platform) {
  const events = new Emitter<WardenEvents>();
  const notifier = new FakeNotifier();
  const answers: string[] = [];
  const answered = new Set<() => void>();
  const answer = (what: string): Promise<Answered> => {
    answers.push(what);
    for (const done of answered) done();
    return Promise.resolve({ ok: true });
  };
  const notifications = new DesktopNotifications({
    notifier,
    platform,
    choices: () => ({ ...DEFAULT_APP_SETTINGS.notifications, approvals: "notification" }),
    openPrompt: () => {},
    approve: (id, hash) => answer(`approve ${id} ${hash}`),
    deny: (id) => answer(`deny ${id}`),
    now: () => NOW,
  });
  const off = wireNotifications({ events }, notifications, new CrashWatch());
  const nextAnswer = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        answered.delete(done);
        resolve();
      };
      answered.add(done);
    });
  return { events, notifier, answers, nextAnswer, off };
}

describe("a teammate's approval request", () => {
  it("raises a notification that says on whose warden the call waits and who asks", () => {
    const { events, notifier, off } = wired("linux");
    events.emit("approvalAdded", ALICES);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.last.options.title).toBe("Call stop_vm on virt?");
    expect(notifier.last.options.message.split("\n").slice(0, 3)).toEqual([
      "Asked on alice's warden by Claude Desktop (grant: default) · virt/stop_vm",
      "Risk not assessed: the server's tool list did not describe this tool.",
      "2nd stop_vm from this client in the last minute",
    ]);
    off();
  });

  it("is approved from the notification's button through the contract, with the hash that was shown", async () => {
    const { events, notifier, answers, nextAnswer, off } = wired("darwin");
    events.emit("approvalAdded", ALICES);
    const answered = nextAnswer();
    notifier.last.callback(null, "activate", { activationType: "actionClicked", activationValue: "Approve" });
    await answered;
    expect(answers).toEqual(["approve approval-1 hash-1"]);
    off();
    events.emit("approvalAdded", { ...ALICES, id: "approval-2" });
    expect(notifier.sent).toHaveLength(1);
  });
});
