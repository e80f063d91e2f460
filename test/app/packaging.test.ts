/**
 * electron-builder.yml as electron-builder reads it (its own loader and schema): the Linux deb gets the
 * maintainer and homepage it refuses to build without, and the icons ship as real files in the resources
 * folder, where the packaged app looks for every tray state on every OS.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { getConfig, validateConfiguration } from "app-builder-lib/out/util/config/config.js";
import { DebugLogger } from "builder-util";
import type { Configuration } from "electron-builder";
import { beforeAll, describe, expect, it } from "vitest";
import { APP_ID } from "../../main/app/app-id.js";
import { iconsDir, trayIconFile } from "../../main/app/tray-icons.js";
import type { TrayIconName } from "../../main/app/tray-model.js";
import { repoRoot } from "../helpers/warden.js";

const ICONS: TrayIconName[] = ["normal", "pending", "deny-all"];
const PLATFORMS: NodeJS.Platform[] = ["darwin", "win32", "linux"];

let config: Configuration;
beforeAll(async () => {
  config = await getConfig(repoRoot, join(repoRoot, "electron-builder.yml"), null);
  await validateConfiguration(config, new DebugLogger(false));
});

/** The extraResources entries as from → to pairs. */
function extraResources(): { from: string; to: string }[] {
  const entries = [config.extraResources ?? []].flat();
  return entries.map((entry) => {
    if (typeof entry === "string" || !entry.from || !entry.to) throw new Error(`unexpected ${String(entry)}`);
    return { from: entry.from, to: entry.to };
  });
}

/** The repository file that electron-builder copies to `resource` (relative to the resources folder). */
function sourceOf(resource: string): string | undefined {
  for (const { from, to } of extraResources()) {
    if (resource === to) return join(repoRoot, from);
    if (resource.startsWith(`${to}/`)) return join(repoRoot, from, resource.slice(to.length + 1));
  }
  return undefined;
}

describe("packaging", () => {
  it("the Linux deb has the maintainer and homepage electron-builder requires", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    const linuxTargets = [config.linux?.target].flat().map((t) => (typeof t === "string" ? t : t?.target));
    expect(linuxTargets).toContain("deb");
    // electron-builder's deb target: a homepage, and a maintainer from linux.maintainer or the author's email.
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.author.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
    expect(config.linux?.maintainer).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
  });

  it("ships every tray icon each OS asks for, and the app icon, as real files outside the asar", () => {
    const resources = join("/", "opt", "MCP Warden", "resources");
    const dir = iconsDir({
      isPackaged: true,
      appPath: join(resources, "app.asar"),
      resourcesPath: resources,
    });
    expect(dir).toBe(join(resources, "icons"));
    const wanted = [
      join(dir, "icon.png"),
      ...PLATFORMS.flatMap((platform) => ICONS.map((icon) => trayIconFile(dir, icon, platform))),
    ];
    for (const file of wanted) {
      const resource = relative(resources, file).split(sep).join("/");
      const source = sourceOf(resource);
      expect(source, resource).toBeDefined();
      expect(existsSync(source ?? ""), `${resource} from ${source}`).toBe(true);
    }
    // Nothing reads icons from inside the archive any more.
    const files = [config.files ?? []].flat().map(String);
    expect(files.some((f) => f.startsWith("assets/"))).toBe(false);
  });

  it("Windows' AppUserModelID is the appId; macOS asks for alert notifications; no notifier binaries are shipped", () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.mac?.extendInfo).toMatchObject({ NSUserNotificationAlertStyle: "alert" });
    // macOS and Windows use Electron's notifications, Linux notify-send: node-notifier's vendored helpers are unused.
    expect([config.asarUnpack ?? []].flat().some((p) => String(p).includes("node-notifier"))).toBe(false);
  });

  it("the AppImage's desktop entry does not turn the sandbox off (electron-builder's default adds --no-sandbox)", () => {
    expect(config.appImage?.executableArgs).toEqual([]);
    expect(JSON.stringify(config)).not.toContain("no-sandbox");
  });

  it("unpackaged, the icons come from the repository's assets folder", () => {
    expect(iconsDir({ isPackaged: false, appPath: repoRoot, resourcesPath: "/elsewhere" })).toBe(
      join(repoRoot, "assets"),
    );
    for (const platform of PLATFORMS)
      for (const icon of ICONS)
        expect(
          existsSync(trayIconFile(join(repoRoot, "assets"), icon, platform)),
          `${platform} ${icon}`,
        ).toBe(true);
  });
});
