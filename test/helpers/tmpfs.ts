/** A tiny real disk for tests: a tmpfs mounted at a new folder (Linux, as root). */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tempDir } from "./warden.js";

/** Mounts a tmpfs of `size` at a new folder; undefined where that is not allowed (not root, no tmpfs). */
export function mountTmpfs(size: string): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const dir = tempDir("warden-tmpfs-");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  if (r.status === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

/** Unmounts a folder mountTmpfs made, and removes it. */
export function unmount(dir: string): void {
  spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
}
