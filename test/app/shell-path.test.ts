/**
 * The login shell's PATH, read from a real shell script standing in for the user's $SHELL: banners from
 * rc files ignored, a shell that hangs cut off by the timeout, and the fallback of common folders.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  adoptLoginShellPath,
  commonDirs,
  fallbackPath,
  mergePaths,
  resolveShellPath,
} from "../../main/app/shell-path.js";
import { tempFolder, until } from "./fakes.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) f.remove();
});

function folder(): string {
  const f = tempFolder("warden-shell-");
  folders.push(f);
  return f.dir;
}

/** A shell script that takes `-i -l -c COMMAND` as a login shell does, after `body` (its "rc files"). */
function fakeShell(dir: string, body: string): string {
  const file = join(dir, "fake-login-shell");
  writeFileSync(file, `#!/bin/sh\n${body}\nfor last in "$@"; do :; done\nexec /bin/sh -c "$last"\n`);
  chmodSync(file, 0o755);
  return file;
}

const launchd = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };

describe("login shell PATH", () => {
  it("reads PATH between the markers, ignoring what rc files print, and keeps inherited folders", async () => {
    const dir = folder();
    const shell = fakeShell(
      dir,
      'echo "Last login: today"; printf "no newline banner"\nPATH=/opt/homebrew/bin:/Users/me/.volta/bin:/usr/bin:/bin; export PATH',
    );
    const result = await resolveShellPath({ shell, env: launchd, home: dir });
    expect(result).toEqual({
      from: "shell",
      path: "/opt/homebrew/bin:/Users/me/.volta/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    });
  });

  it("the login shell's PATH finds a tool where launchd's does not (uvx, as uv installs it)", async () => {
    const dir = folder();
    const bin = join(dir, "node-bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "uvx-warden-test"), "#!/bin/sh\necho uvx-ran\n");
    chmodSync(join(bin, "uvx-warden-test"), 0o755);
    const shell = fakeShell(dir, `PATH=${bin}:/usr/bin:/bin; export PATH`);
    const { path } = await resolveShellPath({ shell, env: launchd, home: dir });
    expect(spawnSync("uvx-warden-test", [], { env: { PATH: launchd.PATH } }).error).toMatchObject({
      code: "ENOENT",
    });
    expect(spawnSync("uvx-warden-test", [], { env: { PATH: path } }).stdout.toString()).toBe("uvx-ran\n");
  });

  it("a shell that hangs is cut off at the timeout and the fallback is used", async () => {
    const dir = folder();
    mkdirSync(join(dir, ".volta", "bin"), { recursive: true });
    // A hung rc file: its child must not outlive the timeout either.
    const shell = fakeShell(dir, `sleep 30 & echo $! > ${join(dir, "sleep.pid")}; wait`);
    const started = Date.now();
    const result = await resolveShellPath({ shell, env: launchd, home: dir, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result).toMatchObject({ from: "fallback", reason: expect.stringContaining("within 300 ms") });
    expect(result.path.split(":").slice(0, 4)).toEqual(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
    expect(result.path.split(":")).toContain(join(dir, ".volta", "bin"));
    const sleeper = Number(readFileSync(join(dir, "sleep.pid"), "utf8"));
    await until(() => !alive(sleeper), 2_000, "the hung shell's child to be killed");
  });

  it("a shell that fails, prints no PATH, or is missing falls back", async () => {
    const dir = folder();
    const failing = await resolveShellPath({ shell: fakeShell(dir, "exit 3"), env: launchd, home: dir });
    expect(failing).toMatchObject({ from: "fallback", reason: expect.stringContaining("code 3") });
    const missing = await resolveShellPath({ shell: join(dir, "no-such-shell"), env: launchd, home: dir });
    expect(missing).toMatchObject({ from: "fallback", reason: expect.stringContaining("ENOENT") });
    expect(await resolveShellPath({ shell: undefined, env: launchd, home: dir })).toMatchObject({
      from: "fallback",
      reason: "SHELL is not set",
    });
  });

  it("the fallback adds only folders that exist: Volta, nvm's current link or newest Node, ~/.local/bin", () => {
    const dir = folder();
    for (const sub of [
      ".volta/bin",
      ".nvm/versions/node/v9.11.2/bin",
      ".nvm/versions/node/v20.19.1/bin",
      ".local/bin",
    ])
      mkdirSync(join(dir, sub), { recursive: true });
    const dirs = commonDirs(dir, {}).filter((d) => d.startsWith(dir));
    expect(dirs).toEqual([
      join(dir, ".volta", "bin"),
      join(dir, ".nvm", "versions", "node", "v20.19.1", "bin"),
      join(dir, ".local", "bin"),
    ]);
    mkdirSync(join(dir, ".nvm", "current", "bin"), { recursive: true });
    expect(commonDirs(dir, {})).toContain(join(dir, ".nvm", "current", "bin"));
    expect(fallbackPath(launchd, dir).startsWith(`${launchd.PATH}:`)).toBe(true);
  });

  it("merging keeps the first of each folder, in order", () => {
    expect(mergePaths("/a:/b", "/b:/c::/a", undefined)).toBe("/a:/b:/c");
  });
});

describe("adopting the login shell's PATH", () => {
  it("sets PATH from $SHELL on macOS and Linux, says why when it falls back, and leaves Windows alone", async () => {
    const dir = folder();
    const shell = fakeShell(dir, "PATH=/opt/homebrew/bin:/usr/bin; export PATH");
    const env: NodeJS.ProcessEnv = { ...launchd, SHELL: shell };
    const logged: string[] = [];
    await adoptLoginShellPath("darwin", env, { shell: "/bin/zsh", home: dir }, (m) => logged.push(m));
    expect(env.PATH).toBe("/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    expect(logged).toEqual([]);

    const noShell: NodeJS.ProcessEnv = { ...launchd };
    await adoptLoginShellPath("linux", noShell, { shell: join(dir, "gone"), home: dir }, (m) =>
      logged.push(m),
    );
    expect(noShell.PATH).toBe(fallbackPath(launchd, dir));
    expect(logged).toEqual([expect.stringContaining("ENOENT")]);

    const windows: NodeJS.ProcessEnv = { PATH: "C:\\Windows", SHELL: shell };
    expect(await adoptLoginShellPath("win32", windows, { shell, home: dir }, () => {})).toBeUndefined();
    expect(windows.PATH).toBe("C:\\Windows");
  });
});
