/**
 * The command a wrapped client (Claude Desktop) runs to reach the warden: this app's binary as Node,
 * running the CLI's `connect`. It is written into the client's config, so it must still work after this
 * run ends. `process.execPath` does not always: an AppImage is mounted at a new folder each run
 * (`$APPIMAGE` is the file that stays), and macOS runs an app opened from Downloads from a random
 * read-only copy (App Translocation, a path under /AppTranslocation/) until it is moved.
 */
import { join, relative, sep } from "node:path";
import type { BridgeCommand } from "../core/clients/client-configs.js";

/** Where the app runs from, as Electron and the environment say. */
export interface LaunchPlace {
  platform: NodeJS.Platform;
  /** `process.execPath`. */
  execPath: string;
  /** `app.getAppPath()` (the asar archive when packaged). */
  appPath: string;
  env: NodeJS.ProcessEnv;
}

/** Files outside the asar archive (external programs such as Node cannot read inside it). */
export function unpacked(path: string): string {
  return path.replace(/app\.asar(?=$|[\\/])/, "app.asar.unpacked");
}

/** Whether macOS runs this app from a translocated copy. */
export function isTranslocated(place: Pick<LaunchPlace, "platform" | "execPath">): boolean {
  return place.platform === "darwin" && place.execPath.includes("/AppTranslocation/");
}

/** Why a client's config must not name this copy of the app. */
export const TRANSLOCATED_REASON =
  "MCP Warden is running from a temporary copy that macOS makes for apps opened from Downloads " +
  "(App Translocation); its path changes on every launch, so a client set up with it would stop " +
  "working. Move MCP Warden to the Applications folder, open it from there, then wrap the client.";

/**
 * The bridge command for a client's config, and why it must not be written there when it must not. AppImage: the AppImage file itself,
 * which as Node loads the CLI from wherever it is mounted this time (`$APPDIR`, set by the AppImage
 * runtime, else beside the binary).
 */
export function bridgeLauncher(place: LaunchPlace): { bridge: BridgeCommand; refused?: string } {
  const cli = join(unpacked(place.appPath), "dist", "cli.js");
  const env = { ELECTRON_RUN_AS_NODE: "1" };
  const appImage = place.platform === "linux" ? place.env.APPIMAGE : undefined;
  if (appImage) {
    const mount = place.env.APPDIR || join(place.execPath, "..");
    const inside = relative(mount, cli).split(sep).join("/");
    return { bridge: { command: appImage, args: ["-e", appImageLoader(inside)], env } };
  }
  const bridge = { command: place.execPath, args: [cli], env };
  // This copy's command still recognises entries it wrote; it is never written into a config.
  return isTranslocated(place) ? { bridge, refused: TRANSLOCATED_REASON } : { bridge };
}

/** Node code that runs the CLI at `inside` (relative to the AppImage's mount folder) with the given arguments. */
function appImageLoader(inside: string): string {
  return [
    'const path = require("node:path");',
    `const cli = path.join(process.env.APPDIR || path.dirname(process.execPath), ${JSON.stringify(inside)});`,
    "process.argv.splice(1, 0, cli);",
    'import(require("node:url").pathToFileURL(cli).href);',
  ].join(" ");
}

/** The parts of Electron used to offer the move. */
export interface MoveToApplications {
  moveToApplicationsFolder(): boolean;
  /** Resolves with the index of the button chosen. */
  ask(options: { message: string; detail: string; buttons: string[] }): Promise<number>;
}

/**
 * On a translocated macOS copy, asks to move the app to Applications and moves it when the user agrees
 * (Electron then quits and relaunches it from there). Returns true when the app is being moved.
 */
export async function offerMoveToApplications(
  place: Pick<LaunchPlace, "platform" | "execPath">,
  electron: MoveToApplications,
  log: (message: string) => void,
): Promise<boolean> {
  if (!isTranslocated(place)) return false;
  const choice = await electron.ask({
    message: "Move MCP Warden to the Applications folder?",
    detail:
      "It is running from a temporary copy that macOS makes for apps opened from Downloads. Clients " +
      "such as Claude Desktop need a path that stays: until it is moved, MCP Warden will not set them up.",
    buttons: ["Move to Applications", "Not now"],
  });
  if (choice !== 0) return false;
  try {
    return electron.moveToApplicationsFolder();
  } catch (error) {
    log(`could not move to Applications: ${(error as Error).message}`);
    return false;
  }
}
