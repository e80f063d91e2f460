/**
 * Which tray icon file each OS gets (drawn by assets/generate-icons.mjs): macOS a template PNG (the
 * menu bar tints it; its @2x twin is picked up by name), Windows an ICO holding every DPI size, Linux a
 * coloured PNG (with an @2x twin).
 */
import { join } from "node:path";
import type { TrayIconName } from "./tray-model.js";

/** Where electron-builder.yml's extraResources puts the icons, under the app's resources folder. */
export const PACKAGED_ICONS_DIR = "icons";

/**
 * The folder the icons are read from. Packaged, they are real files beside the asar archive
 * (extraResources): Windows reads a tray `.ico` inside the asar through a copy in the temp folder, and
 * the tray goes blank once a clean-up deletes that copy. Unpackaged, the repository's assets/ folder.
 */
export function iconsDir(app: { isPackaged: boolean; appPath: string; resourcesPath: string }): string {
  return app.isPackaged ? join(app.resourcesPath, PACKAGED_ICONS_DIR) : join(app.appPath, "assets");
}

/** The icon file for a tray state on a platform. */
export function trayIconFile(assetsDir: string, icon: TrayIconName, platform: NodeJS.Platform): string {
  const base = join(assetsDir, "tray", `tray-${icon}`);
  if (platform === "darwin") return `${base}Template.png`;
  if (platform === "win32") return `${base}.ico`;
  return `${base}.png`;
}
