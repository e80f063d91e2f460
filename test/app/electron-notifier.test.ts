/**
 * Electron's Notification behind node-notifier's interface (macOS, Windows): what it is built with, how
 * a button, a click, a close or a failure comes back, and that the answer reaches the approval.
 */
import { EventEmitter } from "node:events";
import type { NotificationConstructorOptions } from "electron";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import { electronNotifier, electronOptions } from "../../main/app/electron-notifier.js";
import {
  DesktopNotifications,
  type NotifyCallback,
  wireNotifications,
} from "../../main/app/notifications.js";
import { DEFAULT_APP_SETTINGS } from "../../main/app/settings.js";
import type { Runtime } from "../../main/core/runtime.js";
import { pendingStopVm, startCore } from "./fakes.js";

/** A recording stand-in for Electron's Notification class. */
function notificationClass(supported = true) {
  const made: FakeNotification[] = [];
  class FakeNotification extends EventEmitter {
    static isSupported = () => supported;
    readonly options: NotificationConstructorOptions;
    shown = 0;
    constructor(options: NotificationConstructorOptions) {
      super();
      this.options = options;
      made.push(this);
    }
    show(): void {
      this.shown++;
    }
  }
  return { FakeNotification, made };
}

const answers = () => {
  const got: Parameters<NotifyCallback>[] = [];
  const callback: NotifyCallback = (...args) => void got.push(args);
  return { got, callback };
};

describe("Electron's notifications", () => {
  it("macOS: title, body, icon, Approve and Deny buttons and the close label; Windows: no buttons, kept until acted on", () => {
    const options = {
      title: "Stop VM prod-db-1 on virt?",
      message: "Asked by cursor",
      icon: "/r/icons/icon.png",
      wait: true,
      actions: ["Approve", "Deny"],
      closeLabel: "Later",
      timeout: 120,
    };
    expect(electronOptions(options, "darwin")).toEqual({
      title: "Stop VM prod-db-1 on virt?",
      body: "Asked by cursor",
      icon: "/r/icons/icon.png",
      actions: [
        { type: "button", text: "Approve" },
        { type: "button", text: "Deny" },
      ],
      closeButtonText: "Later",
    });
    expect(electronOptions(options, "win32")).toEqual({
      title: "Stop VM prod-db-1 on virt?",
      body: "Asked by cursor",
      icon: "/r/icons/icon.png",
      timeoutType: "never",
    });
  });

  it("a button comes back as node-notifier's activate with the button's label, once; the notification is let go", () => {
    const { FakeNotification, made } = notificationClass();
    const notifier = electronNotifier(FakeNotification, "darwin");
    const { got, callback } = answers();
    notifier.notify({ title: "t", message: "m", actions: ["Approve", "Deny"] }, callback);
    const [shown] = made;
    expect(shown?.shown).toBe(1);
    expect(notifier.live.size).toBe(1);
    shown?.emit("action", {}, 1);
    shown?.emit("close", {});
    expect(got).toEqual([[null, "activate", { activationType: "actionClicked", activationValue: "Deny" }]]);
    expect(notifier.live.size).toBe(0);
  });

  it("a click, a close and a failure (Windows) come back as node-notifier reports them", () => {
    const { FakeNotification, made } = notificationClass();
    const notifier = electronNotifier(FakeNotification, "win32");
    const click = answers();
    const close = answers();
    const fail = answers();
    notifier.notify({ title: "a", message: "m" }, click.callback);
    notifier.notify({ title: "b", message: "m" }, close.callback);
    notifier.notify({ title: "c", message: "m" }, fail.callback);
    made[0]?.emit("click", {});
    made[1]?.emit("close", {});
    made[2]?.emit("failed", {}, "toast failed: 0x80070490");
    expect(click.got).toEqual([[null, "activate", { activationType: "contentsClicked" }]]);
    expect(close.got).toEqual([[null, "closed", { activationType: "closed" }]]);
    expect(fail.got).toEqual([[new Error("toast failed: 0x80070490")]]);
  });

  it("where notifications are not supported, the callback gets an error and nothing is built", () => {
    const { FakeNotification, made } = notificationClass(false);
    const { got, callback } = answers();
    electronNotifier(FakeNotification, "darwin").notify({ title: "t", message: "m" }, callback);
    expect(made).toEqual([]);
    expect(got).toEqual([[new Error("this system does not support notifications")]]);
  });
});

describe("Electron's notifications answer approvals", () => {
  let core: { runtime: Runtime; close: () => Promise<void> };
  beforeAll(async () => {
    core = await startCore();
  });
  afterAll(() => core.close());

  function wired(platform: NodeJS.Platform) {
    const { warden } = core.runtime;
    const { FakeNotification, made } = notificationClass();
    const prompts: string[] = [];
    const notifications = new DesktopNotifications({
      notifier: electronNotifier(FakeNotification, platform),
      platform,
      choices: () => DEFAULT_APP_SETTINGS.notifications,
      openPrompt: (id) => prompts.push(id),
      approve: (id, hash) => warden.broker.approve(id, hash),
      deny: (id) => warden.broker.deny(id),
    });
    const off = wireNotifications(warden, notifications, new CrashWatch());
    return { made, prompts, off };
  }

  it("macOS: the Approve button approves that request", async () => {
    const { made, off } = wired("darwin");
    const call = pendingStopVm(core.runtime, "prod-db-7");
    const shown = made.at(-1);
    expect(shown?.options.title).toBe("Stop VM prod-db-7 on virt?");
    shown?.emit("action", {}, 0);
    expect(await call.ended).toBe("approved");
    off();
  });

  it("Windows: a click opens the prompt; Electron's failure to show opens it too", () => {
    const { made, prompts, off } = wired("win32");
    const clicked = pendingStopVm(core.runtime, "prod-db-8");
    made.at(-1)?.emit("click", {});
    const failed = pendingStopVm(core.runtime, "prod-db-9");
    made.at(-1)?.emit("failed", {}, "no shortcut");
    // The default choice shows the notification only; the prompt opens on a click, or when it failed.
    expect(prompts).toEqual([clicked.id, failed.id]);
    core.runtime.warden.broker.deny(clicked.id);
    core.runtime.warden.broker.deny(failed.id);
    off();
  });
});
