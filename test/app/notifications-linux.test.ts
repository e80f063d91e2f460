/**
 * Real Linux notifications: a private D-Bus session, Xvfb and the dunst notification daemon (Debian
 * packages dbus, xvfb, dunst, libnotify-bin). A pending approval on a real core makes node-notifier run
 * notify-send, and dbus-monitor sees the Notify call with the approval's summary. With no daemon on the
 * bus, notify-send fails and the approval prompt opens instead.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import notifier from "node-notifier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrashWatch } from "../../main/app/crash-watch.js";
import {
  DesktopNotifications,
  type NotifyCallback,
  type NotifyOptions,
  wireNotifications,
} from "../../main/app/notifications.js";
import { DEFAULT_APP_SETTINGS } from "../../main/app/settings.js";
import type { Runtime } from "../../main/core/runtime.js";
import { pendingStopVm, startCore, tempFolder, until } from "./fakes.js";

const TOOLS = ["dbus-daemon", "dbus-monitor", "dbus-send", "Xvfb", "dunst", "notify-send"];
const onPath = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const missing = process.platform === "linux" ? TOOLS.filter((t) => !onPath(t)) : ["Linux"];
const title =
  missing.length === 0
    ? "real Linux notifications (D-Bus + Xvfb + dunst)"
    : `real Linux notifications — SKIPPED: ${missing.join(", ")} not available (install dbus, xvfb, dunst, libnotify-bin)`;

/** Starts a process and resolves with the first line it writes on `stream` (stdout, or fd 3). */
function firstLine(child: ChildProcess, fd: 1 | 3, what: string, ms = 10_000): Promise<string> {
  const stream = fd === 1 ? child.stdout : (child.stdio[3] as NodeJS.ReadableStream | null);
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`${what} wrote nothing in ${ms} ms`)), ms);
    stream?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split("\n")[0];
      if (text.includes("\n") && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** A node-notifier wrapper that records what happened to each notification. */
function recordingNotifier() {
  const results: { options: NotifyOptions; error: unknown }[] = [];
  return {
    results,
    notify(options: NotifyOptions, callback: NotifyCallback) {
      return notifier.notify(options, (error, response, metadata) => {
        results.push({ options, error });
        callback(error, response, metadata);
      });
    },
  };
}

describe.skipIf(missing.length > 0)(title, () => {
  const folder = tempFolder("warden-dbus-");
  const children: ChildProcess[] = [];
  const savedEnv = {
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    DISPLAY: process.env.DISPLAY,
  };
  let bus = "";
  let display = "";
  let core: { runtime: Runtime; close: () => Promise<void> };

  const start = (command: string, args: string[], env: NodeJS.ProcessEnv = {}, extraFd = false) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: extraFd ? ["ignore", "pipe", "pipe", "pipe"] : ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    // A private session bus with no service files: nothing answers for notifications until dunst runs.
    const config = join(folder.dir, "bus.conf");
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${folder.dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const daemon = start("dbus-daemon", [`--config-file=${config}`, "--print-address=1", "--nofork"]);
    bus = await firstLine(daemon, 1, "dbus-daemon");
    const xvfb = start(
      "Xvfb",
      ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "640x480x24"],
      {},
      true,
    );
    display = `:${await firstLine(xvfb, 3, "Xvfb")}`;
    process.env.DBUS_SESSION_BUS_ADDRESS = bus;
    process.env.DISPLAY = display;
    core = await startCore();
  });

  afterAll(async () => {
    for (const child of children.reverse()) child.kill("SIGTERM");
    process.env.DBUS_SESSION_BUS_ADDRESS = savedEnv.DBUS_SESSION_BUS_ADDRESS;
    process.env.DISPLAY = savedEnv.DISPLAY;
    if (savedEnv.DBUS_SESSION_BUS_ADDRESS === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    if (savedEnv.DISPLAY === undefined) delete process.env.DISPLAY;
    await core?.close();
    folder.remove();
  });

  function wire() {
    const prompts: string[] = [];
    const real = recordingNotifier();
    const notifications = new DesktopNotifications({
      notifier: real,
      platform: "linux",
      choices: () => DEFAULT_APP_SETTINGS.notifications,
      openPrompt: (id) => prompts.push(id),
      approve: (id, hash) => core.runtime.warden.broker.approve(id, hash),
      deny: (id) => core.runtime.warden.broker.deny(id),
    });
    const off = wireNotifications(core.runtime.warden, notifications, new CrashWatch());
    return { prompts, results: real.results, off };
  }

  it("with no notification daemon, notify-send fails and the approval prompt opens on the request", async () => {
    const { prompts, results, off } = wire();
    const call = pendingStopVm(core.runtime, "prod-db-1");
    await until(() => prompts.length > 0, 10_000, "the prompt to open");
    expect(prompts).toEqual([call.id]);
    expect(String(results[0]?.error)).toMatch(/Notifications|ServiceUnknown|Command failed/);
    core.runtime.warden.broker.deny(call.id);
    off();
  });

  it("with dunst running, the approval's notification reaches the bus with its summary, and no prompt opens", async () => {
    start("dunst", [], { DISPLAY: display, DBUS_SESSION_BUS_ADDRESS: bus });
    const owned = () =>
      spawnSync(
        "dbus-send",
        [
          `--bus=${bus}`,
          "--print-reply",
          "--dest=org.freedesktop.DBus",
          "/org/freedesktop/DBus",
          "org.freedesktop.DBus.NameHasOwner",
          "string:org.freedesktop.Notifications",
        ],
        { encoding: "utf8" },
      ).stdout.includes("boolean true");
    await until(owned, 10_000, "dunst to own org.freedesktop.Notifications");

    const monitor = start("dbus-monitor", ["--address", bus, "interface='org.freedesktop.Notifications'"]);
    let seen = "";
    monitor.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
    });
    await until(() => seen.length > 0, 10_000, "dbus-monitor to start");

    const { prompts, results, off } = wire();
    const call = pendingStopVm(core.runtime, "prod-db-2", "claude-desktop");
    await until(() => /member=Notify\b/.test(seen) && seen.includes("prod-db-2"), 10_000, "the Notify call");
    await until(() => results.length > 0, 10_000, "notify-send to finish");

    expect(seen).toContain('string "Stop VM prod-db-2 on virt?"');
    expect(seen).toContain("Asked by claude-desktop · virt/stop_vm");
    expect(seen).toContain("High risk (destructive): Stops a VM: its services go offline");
    expect(seen).toMatch(/\d+(st|nd|rd|th) stop_vm from this client in the last minute; \d+ left of 10/);
    expect(seen).toContain("Policy: Stopping a VM takes its services offline");
    expect(results[0]?.error).toBeFalsy();
    expect(prompts).toEqual([]);
    core.runtime.warden.broker.deny(call.id);
    off();
  });
});
