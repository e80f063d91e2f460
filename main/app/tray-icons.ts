/**
 * Which tray icon file each OS gets (drawn by assets/generate-icons.mjs): macOS a template PNG (the
 * menu bar tints it; its @2x twin is picked up by name), Windows an ICO holding every DPI size, Linux a
 * coloured PNG (with an @2x twin).
 */
import { join } from "node:path";
import type { TrayIconName } from "./tray-model.js";

/** The icon file for a tray state on a platform. */
export function trayIconFile(assetsDir: string, icon: TrayIconName, platform: NodeJS.Platform): string {
  const base = join(assetsDir, "tray", `tray-${icon}`);
  if (platform === "darwin") return `${base}Template.png`;
  if (platform === "win32") return `${base}.ico`;
  return `${base}.png`;
}
