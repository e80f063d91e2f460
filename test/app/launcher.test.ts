/**
 * The command written into a wrapped client's config: a path that outlives this run. The AppImage file
 * itself (loading the CLI from whatever folder it is mounted at next time, run for real here with Node
 * standing in for the AppImage's binary), and never a macOS translocated copy: wrapping a bridge client
 * from one is refused with the reason, and the move to Applications is offered behind a dialog.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  bridgeLauncher,
  isTranslocated,
  offerMoveToApplications,
  TRANSLOCATED_REASON,
} from "../../main/app/launcher.js";
import { type Runtime, startRuntime } from "../../main/core/runtime.js";
import { tempFolder } from "./fakes.js";

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) f.remove();
});
function folder(): string {
  const f = tempFolder("warden-launcher-");
  folders.push(f);
  return f.dir;
}

const TRANSLOCATED =
  "/private/var/folders/xy/T/AppTranslocation/3F2A-11/d/MCP Warden.app/Contents/MacOS/MCP Warden";

/** An AppImage mount folder as electron-builder lays it out, with a CLI that reports how it was run. */
function mount(dir: string, name: string): string {
  const root = join(dir, name);
  const cliDir = join(root, "resources", "app.asar.unpacked", "dist");
  mkdirSync(cliDir, { recursive: true });
  writeFileSync(
    join(cliDir, "cli.js"),
    "console.log(JSON.stringify({ from: import.meta.url, args: process.argv.slice(2), node: process.env.ELECTRON_RUN_AS_NODE }));\n",
  );
  return root;
}

describe("the bridge command", () => {
  it("installed apps: the binary as Node running the unpacked CLI", () => {
    const { bridge, refused } = bridgeLauncher({
      platform: "win32",
      execPath: "C:\\Program Files\\MCP Warden\\MCP Warden.exe",
      appPath: "C:\\Program Files\\MCP Warden\\resources\\app.asar",
      env: {},
    });
    expect(refused).toBeUndefined();
    expect(bridge.command).toBe("C:\\Program Files\\MCP Warden\\MCP Warden.exe");
    expect(bridge.args).toEqual([
      expect.stringMatching(/resources[\\/]app\.asar\.unpacked[\\/]dist[\\/]cli\.js$/),
    ]);
    expect(bridge.env).toEqual({ ELECTRON_RUN_AS_NODE: "1" });
  });

  it("AppImage: the AppImage file, which finds the CLI in the next run's mount folder", () => {
    const dir = folder();
    const first = mount(dir, ".mount_MCPWarAbc123");
    const appImage = join(dir, "MCP-Warden-0.1.0.AppImage");
    const { bridge } = bridgeLauncher({
      platform: "linux",
      execPath: join(first, "mcp-warden"),
      appPath: join(first, "resources", "app.asar"),
      env: { APPIMAGE: appImage, APPDIR: first },
    });
    expect(bridge.command).toBe(appImage);
    expect(bridge.args.join(" ")).not.toContain(first);

    // The client starts the AppImage later: it is mounted elsewhere (APPDIR, as the AppImage runtime sets
    // it). Node stands in for the AppImage's Electron running as Node.
    const next = mount(dir, ".mount_MCPWarXyz789");
    const run = spawnSync(process.execPath, [...bridge.args, "connect", "virt", "--data-dir", "/d"], {
      env: { ...process.env, ...bridge.env, APPDIR: next },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout) as { from: string; args: string[]; node: string };
    expect(report.from).toContain(".mount_MCPWarXyz789/resources/app.asar.unpacked/dist/cli.js");
    expect(report.args).toEqual(["connect", "virt", "--data-dir", "/d"]);
    expect(report.node).toBe("1");
  });

  it("macOS translocated copy: refused, saying why", () => {
    expect(isTranslocated({ platform: "darwin", execPath: TRANSLOCATED })).toBe(true);
    expect(
      isTranslocated({
        platform: "darwin",
        execPath: "/Applications/MCP Warden.app/Contents/MacOS/MCP Warden",
      }),
    ).toBe(false);
    const { refused } = bridgeLauncher({
      platform: "darwin",
      execPath: TRANSLOCATED,
      appPath: `${TRANSLOCATED}/../../Resources/app.asar`,
      env: {},
    });
    expect(refused).toBe(TRANSLOCATED_REASON);
    expect(refused).toContain("Move MCP Warden to the Applications folder");
  });
});

describe("wrapping from a translocated copy", () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it("Claude Desktop (the bridge) is refused with the reason and its config left alone; Cursor (a URL) is wrapped", async () => {
    const dir = folder();
    const server = { command: "npx", args: ["-y", "some-server"] };
    const claude = join(dir, "claude_desktop_config.json");
    const cursor = join(dir, "mcp.json");
    const original = JSON.stringify({ mcpServers: { files: server } });
    writeFileSync(claude, original);
    writeFileSync(cursor, original);
    const { bridge, refused } = bridgeLauncher({
      platform: "darwin",
      execPath: TRANSLOCATED,
      appPath: "/x/app.asar",
      env: {},
    });
    runtime = await startRuntime({
      dataDir: join(dir, "data"),
      port: 0,
      bridge,
      ...(refused ? { bridgeRefused: refused } : {}),
    });
    const { methods } = runtime.warden;
    expect(methods.wrapClient({ client: "claude-desktop", path: claude })).toEqual({
      ok: false,
      error: TRANSLOCATED_REASON,
    });
    expect(readFileSync(claude, "utf8")).toBe(original);
    expect(methods.wrapClient({ client: "cursor", path: cursor })).toMatchObject({ ok: true });
    expect(readFileSync(cursor, "utf8")).toContain("/mcp/files");
  });
});

describe("moving to Applications", () => {
  function electron(choice: number) {
    const asked: string[] = [];
    let moves = 0;
    return {
      asked,
      moves: () => moves,
      parts: {
        ask: async (o: { message: string }) => {
          asked.push(o.message);
          return choice;
        },
        moveToApplicationsFolder: () => {
          moves++;
          return true;
        },
      },
    };
  }

  it("a translocated copy asks first, and moves only when the user agrees", async () => {
    const yes = electron(0);
    expect(
      await offerMoveToApplications({ platform: "darwin", execPath: TRANSLOCATED }, yes.parts, () => {}),
    ).toBe(true);
    expect(yes.asked).toEqual(["Move MCP Warden to the Applications folder?"]);
    expect(yes.moves()).toBe(1);
    const no = electron(1);
    expect(
      await offerMoveToApplications({ platform: "darwin", execPath: TRANSLOCATED }, no.parts, () => {}),
    ).toBe(false);
    expect(no.moves()).toBe(0);
  });

  it("an installed app is not asked; a move that fails is logged and the app goes on", async () => {
    const installed = electron(0);
    const place = {
      platform: "darwin" as const,
      execPath: "/Applications/MCP Warden.app/Contents/MacOS/MCP Warden",
    };
    expect(await offerMoveToApplications(place, installed.parts, () => {})).toBe(false);
    expect(installed.asked).toEqual([]);
    const logged: string[] = [];
    const failing = {
      ask: async () => 0,
      moveToApplicationsFolder: (): boolean => {
        throw new Error("the copy failed");
      },
    };
    expect(
      await offerMoveToApplications({ platform: "darwin", execPath: TRANSLOCATED }, failing, (m) =>
        logged.push(m),
      ),
    ).toBe(false);
    expect(logged).toEqual(["could not move to Applications: the copy failed"]);
  });
});
