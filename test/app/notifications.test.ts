/** Notifications ↔ broker: what a pending approval says, how answers end it, and the prompt when none can be shown. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import {
  approvalNotice,
  DesktopNotifications,
  displayText,
  type NotificationsOptions,
  notificationAnswer,
  SignInWatch,
  wireNotifications,
} from "../../main/app/notifications.js";
import { DEFAULT_APP_SETTINGS, type NotificationChoices } from "../../main/app/settings.js";
import type { Runtime } from "../../main/core/runtime.js";
import type { PendingApproval, ServerStatus } from "../../shared/contract.js";
import { FakeNotifier, pendingStopVm, startCore } from "./fakes.js";

let core: { runtime: Runtime; close: () => Promise<void> };
beforeAll(async () => {
  core = await startCore();
});
afterAll(async () => {
  await core.close();
});

/** A pending approval of the running core, by id. */
function approvalOf(id: string): PendingApproval {
  const approval = core.runtime.warden.broker.list().find((a) => a.id === id);
  if (!approval) throw new Error(`no pending approval ${id}`);
  return approval;
}

function wired(platform: NodeJS.Platform, choices: Partial<NotificationChoices> = {}) {
  const { warden } = core.runtime;
  const notifier = new FakeNotifier();
  const prompts: string[] = [];
  const problems: string[] = [];
  const options: NotificationsOptions = {
    notifier,
    platform,
    choices: () => ({ ...DEFAULT_APP_SETTINGS.notifications, ...choices }),
    openPrompt: (id) => prompts.push(id),
    approve: (id, hash) => warden.broker.approve(id, hash),
    deny: (id) => warden.broker.deny(id),
    onProblem: (m) => problems.push(m),
    appID: "dev.mcpwarden.app",
  };
  const notifications = new DesktopNotifications(options);
  const off = wireNotifications(warden, notifications, new CrashWatch());
  return { notifier, prompts, problems, notifications, off };
}

describe("approval notifications", () => {
  it("lead with the effect on the argument the tool acts on, then who asks, the risk and the policy", () => {
    const { notifier, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-1", "claude-desktop");
    const { options } = notifier.last;
    expect(options.title).toBe("Stop VM prod-db-1 on virt?");
    expect(options.message.split("\n")).toEqual([
      "Asked by claude-desktop · virt/stop_vm",
      "High risk (destructive): Stops a VM: its services go offline; a forced stop loses unsaved data.",
      "1st stop_vm from this client in the last minute; 9 left of 10",
      "Policy: Stopping a VM takes its services offline",
      "Denied in 2m without an answer",
    ]);
    expect(options.message).not.toMatch(/Rule |tools\[/);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("an approval that carries no risk says so, and still names the policy's reason", () => {
    const { warden } = core.runtime;
    const { notifier, notifications, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-10");
    const approval = warden.broker.list().find((a) => a.id === call.id);
    if (!approval) throw new Error("no approval");
    const { risk: _risk, ...withoutRisk } = approval;
    notifications.approvalAdded(withoutRisk);
    expect(notifier.last.options.message).toContain("Risk not assessed");
    expect(notifier.last.options.message).toContain("Policy: Stopping a VM takes its services offline");
    warden.broker.deny(call.id);
    off();
  });

  it("macOS: Approve and Deny buttons; the Approve button approves exactly that request", async () => {
    const { notifier, off } = wired("darwin");
    const other = pendingStopVm(core.runtime, "dev-1");
    const call = pendingStopVm(core.runtime, "prod-db-2");
    const { options, callback } = notifier.last;
    expect(options).toMatchObject({ wait: true, actions: ["Approve", "Deny"] });
    callback(null, "activate", { activationType: "actionClicked", activationValue: "Approve" });
    expect(await call.ended).toBe("approved");
    expect(core.runtime.warden.broker.list().map((a) => a.id)).toEqual([other.id]);
    core.runtime.warden.broker.deny(other.id);
    off();
  });

  it("Windows: no buttons (Electron's toasts have none), a click opens the prompt on that request", () => {
    const { notifier, prompts, off } = wired("win32");
    const call = pendingStopVm(core.runtime, "prod-db-3");
    expect(notifier.last.options).toMatchObject({ appID: "dev.mcpwarden.app", wait: true });
    expect(notifier.last.options.actions).toBeUndefined();
    notifier.last.callback(null, "activate", { activationType: "contentsClicked" });
    expect(prompts).toEqual([call.id]);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("a click on the notification opens the approval prompt on that request", () => {
    const { notifier, prompts, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-4");
    expect(prompts).toEqual([]);
    notifier.last.callback(null, "activate", { activationType: "contentsClicked" });
    expect(prompts).toEqual([call.id]);
    expect(core.runtime.warden.broker.list().map((a) => a.id)).toContain(call.id);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("dismissing or timing out does nothing: the request keeps waiting for its deadline", () => {
    const { notifier, prompts, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-5");
    notifier.last.callback(null, "timeout", {});
    notifier.last.callback(null, "closed", { activationType: "closed" });
    expect(prompts).toEqual([]);
    expect(core.runtime.warden.broker.list().map((a) => a.id)).toContain(call.id);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("when the notifier reports an error (no daemon), the prompt opens on that request, once", () => {
    const { notifier, prompts, problems, off } = wired("linux");
    notifier.failWith = new Error("GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown");
    const call = pendingStopVm(core.runtime, "prod-db-6");
    expect(prompts).toEqual([call.id]);
    notifier.last.callback(new Error("again"));
    expect(prompts).toEqual([call.id]);
    expect(problems[0]).toMatch(/ServiceUnknown.*opening the prompt/);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("a notifier that throws also opens the prompt", () => {
    const { prompts, off } = wired("linux");
    const { warden } = core.runtime;
    const throwing = new DesktopNotifications({
      notifier: {
        notify: () => {
          throw new Error("spawn notify-send ENOENT");
        },
      },
      platform: "linux",
      choices: () => DEFAULT_APP_SETTINGS.notifications,
      openPrompt: (id) => prompts.push(id),
      approve: (id, hash) => warden.broker.approve(id, hash),
      deny: (id) => warden.broker.deny(id),
    });
    const offThrowing = warden.broker.on("added", (a) => throwing.approvalAdded(a));
    const call = pendingStopVm(core.runtime, "prod-db-7");
    expect(prompts).toEqual([call.id]);
    warden.broker.deny(call.id);
    offThrowing();
    off();
  });

  it("Linux: no buttons (notify-send has none), a markup-safe body saying where to answer", () => {
    const { notifier, off } = wired("linux");
    const call = pendingStopVm(core.runtime, "<b>prod</b> & co");
    const { options } = notifier.last;
    expect(options.actions).toBeUndefined();
    expect(options.wait).toBeUndefined();
    expect(options.urgency).toBe("critical");
    expect(options.title).toBe("Stop VM <b>prod</b> & co on virt?");
    expect(approvalNotice({ ...approvalOf(call.id), client: "<i>x</i>" }, 0, "linux").message).toContain(
      "Asked by &lt;i&gt;x&lt;/i&gt;",
    );
    expect(options.message).toContain("tray menu");
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("choice 'prompt' opens the prompt and shows no notification; 'both' does both", () => {
    const prompt = wired("darwin", { approvals: "prompt" });
    const a = pendingStopVm(core.runtime, "p-1");
    expect(prompt.prompts).toEqual([a.id]);
    expect(prompt.notifier.sent).toEqual([]);
    core.runtime.warden.broker.deny(a.id);
    prompt.off();

    const both = wired("darwin", { approvals: "both" });
    const b = pendingStopVm(core.runtime, "p-2");
    expect(both.prompts).toEqual([b.id]);
    expect(both.notifier.sent).toHaveLength(1);
    both.notifier.last.callback(new Error("no daemon"));
    expect(both.prompts).toEqual([b.id]);
    core.runtime.warden.broker.deny(b.id);
    both.off();
  });

  it("answering a request that already ended says so instead of acting", async () => {
    const { notifier, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-8");
    const { callback } = notifier.last;
    core.runtime.warden.broker.deny(call.id);
    expect(await call.ended).toBe("denied");
    callback(null, "activate", { activationValue: "Approve" });
    expect(notifier.last.options.message).toMatch(/Could not approve stop_vm: no pending approval/);
    off();
  });
});

describe("other notifications", () => {
  it("Deny all turned on and off is notified, unless the user turned that off", () => {
    const on = wired("linux");
    core.runtime.warden.setDenyAll(true);
    core.runtime.warden.setDenyAll(false);
    expect(on.notifier.sent.map((s) => s.options.title)).toEqual(["Deny all is ON", "Deny all is off"]);
    on.off();

    const quiet = wired("linux", { denyAll: false });
    core.runtime.warden.setDenyAll(true);
    core.runtime.warden.setDenyAll(false);
    expect(quiet.notifier.sent).toEqual([]);
    quiet.off();
  });

  it("an upstream that keeps crashing is notified once per episode; one given up on too", () => {
    const { notifier, notifications } = wired("darwin");
    const watch = new CrashWatch({ threshold: 3, windowMs: 60_000, now: () => 1_000 });
    const server = (restarts: number, state: ServerStatus["state"] = "restarting"): ServerStatus => ({
      name: "virt",
      transport: "stdio",
      state,
      tools: [],
      stderr: ["Traceback: boom"],
      restarts,
      endpoint: "",
    });
    for (const restarts of [0, 1, 2, 3, 4]) {
      for (const report of watch.update([server(restarts)])) notifications.serverCrashing(report);
    }
    expect(notifier.sent.map((s) => s.options.title)).toEqual(["virt keeps crashing"]);
    expect(notifier.last.options.message).toContain("Traceback: boom");
    for (const report of watch.update([server(9, "failed")])) notifications.serverCrashing(report);
    expect(notifier.sent.map((s) => s.options.title)).toEqual(["virt keeps crashing", "virt stopped"]);
  });
});

describe("notification text", () => {
  it.each([
    [undefined, undefined, "none"],
    ["activate", { activationType: "contentsClicked" }, "open"],
    ["activate", { activationType: "actionClicked", activationValue: "Approve" }, "approve"],
    ["activate", { activationType: "actionClicked", activationValue: "Deny" }, "deny"],
    ["approve", { activationType: "Approve" }, "approve"],
    ["deny", undefined, "deny"],
    ["timeout", undefined, "none"],
    ["dismissed", undefined, "none"],
    ["replied", { activationValue: "yes" }, "none"],
  ] as const)("node-notifier's %s %j means %s", (response, metadata, answer) => {
    expect(notificationAnswer(response, metadata)).toBe(answer);
  });

  it("agent-chosen text cannot break lines, reorder text or run long", () => {
    expect(displayText("a\nb\r\tc")).toBe("a b c");
    expect(displayText("evil\u202Etxt.exe")).toBe("evil txt.exe");
    expect(displayText("a\\nRisk: none")).toBe("a\u29f5nRisk: none");
    expect(displayText("x".repeat(200), 10)).toBe(`${"x".repeat(9)}…`);
    expect(displayText({ a: 1 })).toBe('{"a":1}');
  });

  it("a tool nothing is known of is named with its server; the deadline is shown", () => {
    const approval: PendingApproval = {
      id: "a",
      callId: "c",
      client: "cursor",
      server: "fs",
      tool: "write_file",
      args: { content: "x" },
      rule: "default",
      reason: "",
      createdAt: 0,
      deadline: 120_000,
      callHash: "h",
    };
    const notice = approvalNotice(approval, 0, "darwin");
    expect(notice.title).toBe("Call write_file on fs?");
    expect(notice.message).toContain("Denied in 2m without an answer");
    expect(notice.message).toContain("Policy: this call asks a human");
  });
});

describe("sign-in notifications", () => {
  const status = (name: string, state: ServerStatus["state"]): ServerStatus => ({
    name,
    transport: "http",
    state,
    tools: [],
    stderr: [],
    restarts: 0,
    endpoint: `http://127.0.0.1/mcp/${name}`,
    ...(state === "sign-in-needed" ? { signIn: { signedIn: false, needed: "HTTP 401" } } : {}),
  });

  it("once per episode: again only after the server stopped needing it", () => {
    const watch = new SignInWatch();
    expect(watch.update([status("crm", "sign-in-needed")]).map((s) => s.name)).toEqual(["crm"]);
    expect(watch.update([status("crm", "sign-in-needed")])).toEqual([]);
    expect(watch.update([status("crm", "connected")])).toEqual([]);
    expect(watch.update([status("crm", "sign-in-needed")]).map((s) => s.name)).toEqual(["crm"]);
  });

  it("Linux says where to go (no clicks there) in markup-safe text; macOS and Windows say to click", () => {
    const sent = (platform: NodeJS.Platform) => {
      const notifier = new FakeNotifier();
      const opened: number[] = [];
      new DesktopNotifications({
        notifier,
        platform,
        choices: () => DEFAULT_APP_SETTINGS.notifications,
        openPrompt: () => {},
        openServers: () => opened.push(1),
        approve: () => ({ ok: true }),
        deny: () => ({ ok: true }),
      }).signInNeeded(status("<crm>", "sign-in-needed"));
      return { notifier, opened };
    };
    const linux = sent("linux").notifier.last.options;
    expect(linux.title).toBe("Sign in to <crm>");
    expect(linux.message).toBe(
      "&lt;crm&gt; needs you to sign in before its tools work (HTTP 401). Open Servers from the MCP Warden tray menu to sign in.",
    );
    expect(linux.wait).toBeUndefined();
    const win = sent("win32");
    expect(win.notifier.last.options).toMatchObject({ wait: true });
    expect(win.notifier.last.options.message).toContain("Click to open Servers and sign in.");
    win.notifier.last.callback(null, "closed", {});
    expect(win.opened).toEqual([]);
    win.notifier.last.callback(null, "activate", {});
    expect(win.opened).toEqual([1]);
  });
});
