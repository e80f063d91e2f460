/**
 * node-notifier's `notify(options, callback)` served by Electron's own `Notification`, for macOS and
 * Windows. node-notifier's bundled terminal-notifier is an x86_64 binary (Rosetta on Apple silicon) that
 * shows as "terminal-notifier", and its Windows toasts need a Start-menu shortcut carrying the app's
 * AppUserModelID; Electron's notifications come from the app itself (`app.setAppUserModelId` on Windows).
 * Buttons exist on macOS only (Electron 41's `actions` are darwin-only; they show when the app is signed
 * and its Info.plist asks for alert-style notifications); a click opens the prompt everywhere.
 */
import type { NotificationConstructorOptions } from "electron";
import type { Notifier, NotifyCallback, NotifyOptions } from "./notifications.js";

/** The part of an Electron `Notification` used here. */
export interface ElectronNotificationLike {
  on(event: "click" | "show", listener: () => void): unknown;
  on(event: "action", listener: (event: unknown, index: number) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "failed", listener: (event: unknown, error: string) => void): unknown;
  show(): void;
}

/** Electron's `Notification` class, or a stand-in. */
export interface ElectronNotificationClass {
  new (options: NotificationConstructorOptions): ElectronNotificationLike;
  isSupported(): boolean;
}

/** Electron's constructor options for node-notifier's. */
export function electronOptions(
  options: NotifyOptions,
  platform: NodeJS.Platform,
): NotificationConstructorOptions {
  return {
    title: options.title,
    body: options.message,
    ...(options.icon ? { icon: options.icon } : {}),
    ...(platform === "darwin" && options.actions
      ? { actions: options.actions.map((text) => ({ type: "button" as const, text })) }
      : {}),
    ...(platform === "darwin" && options.closeLabel ? { closeButtonText: options.closeLabel } : {}),
    // A notification that waits for an answer stays until the user acts on it.
    ...(platform === "win32" && options.wait ? { timeoutType: "never" as const } : {}),
    ...(platform === "win32" && options.urgency ? { urgency: options.urgency } : {}),
  };
}

/** A `Notifier` made of Electron's `Notification`: answers come back as node-notifier reports them. */
export function electronNotifier(
  Notification: ElectronNotificationClass,
  platform: NodeJS.Platform,
): Notifier & {
  /** Notifications kept alive until they end (an unreferenced one loses its click handlers). */
  readonly live: ReadonlySet<ElectronNotificationLike>;
} {
  const live = new Set<ElectronNotificationLike>();
  return {
    live,
    notify(options: NotifyOptions, callback: NotifyCallback): void {
      if (!Notification.isSupported()) {
        callback(new Error("this system does not support notifications"));
        return;
      }
      const notification = new Notification(electronOptions(options, platform));
      let answered = false;
      const answer: NotifyCallback = (...args) => {
        live.delete(notification);
        if (answered) return;
        answered = true;
        callback(...args);
      };
      notification.on("click", () => answer(null, "activate", { activationType: "contentsClicked" }));
      notification.on("action", (_event, index) =>
        answer(null, "activate", {
          activationType: "actionClicked",
          activationValue: options.actions?.[index] ?? "",
        }),
      );
      notification.on("close", () => answer(null, "closed", { activationType: "closed" }));
      notification.on("failed", (_event, error) => answer(new Error(error)));
      live.add(notification);
      notification.show();
    },
  };
}
