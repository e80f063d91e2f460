/** Types for linux-sandbox.mjs (checked by the tests that import it). */
import type { Stats } from "node:fs";

/** The files the check reads (the real machine, or a test's). */
export interface LinuxHost {
  readFile(path: string): string;
  stat(path: string): Pick<Stats, "uid" | "mode">;
  listDir(path: string): string[];
}

export const linuxHost: LinuxHost;

/** On Linux, why Electron's sandbox would abort at start and how to fix it; undefined when it can start. */
export function sandboxProblem(options: {
  platform: NodeJS.Platform;
  binary: string;
  host?: LinuxHost;
}): string | undefined;
