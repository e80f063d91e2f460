/**
 * `npm start` on Ubuntu 23.10+: Electron aborts at start when user namespaces are restricted and
 * chrome-sandbox is not setuid root. The check finds that from the sysctls, the helper's owner and mode
 * and AppArmor's profiles, and prints fixes that keep the sandbox on.
 */
import { describe, expect, it } from "vitest";
import { type LinuxHost, sandboxProblem } from "../../scripts/linux-sandbox.mjs";

const BINARY = "/home/me/warden/node_modules/electron/dist/electron";
const HELPER = "/home/me/warden/node_modules/electron/dist/chrome-sandbox";

/** A machine made of files: sysctls, the helper's owner and mode, AppArmor profiles. */
function host(files: Record<string, string>, helper?: { uid: number; mode: number }): LinuxHost {
  return {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
      return text;
    },
    stat: (path) => {
      if (path !== HELPER || !helper) throw new Error(`ENOENT ${path}`);
      return helper;
    },
    listDir: (path) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${path}/`))
        .map((f) => f.slice(path.length + 1)),
  };
}

const ubuntu = { "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n" };
const userOwned = { uid: 1000, mode: 0o100755 };

describe("Electron's sandbox on Linux", () => {
  it("Ubuntu 23.10+ with a user-owned chrome-sandbox: says why and prints the three fixes, never --no-sandbox", () => {
    const problem = sandboxProblem({ platform: "linux", binary: BINARY, host: host(ubuntu, userOwned) });
    expect(problem).toContain("kernel.apparmor_restrict_unprivileged_userns=1");
    expect(problem).toContain(`sudo chown root:root "${HELPER}" && sudo chmod 4755 "${HELPER}"`);
    expect(problem).toContain(`profile mcp-warden-electron "${BINARY}" flags=(unconfined) {`);
    expect(problem).toContain("  userns,");
    expect(problem).toContain("sudo apparmor_parser -r /etc/apparmor.d/mcp-warden-electron");
    expect(problem).toContain("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
    expect(problem).toContain("never adds --no-sandbox");
    expect(problem).not.toMatch(/^\s*.*electron.* --no-sandbox/m);
  });

  it.each([
    [
      "namespaces are not restricted",
      host({ "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "0" }, userOwned),
    ],
    ["no such sysctl (older kernels, other distributions)", host({}, userOwned)],
    ["chrome-sandbox is setuid root", host(ubuntu, { uid: 0, mode: 0o104755 })],
    [
      "an AppArmor profile gives this Electron user namespaces",
      host(
        {
          ...ubuntu,
          "/etc/apparmor.d/electron-dev": `abi <abi/4.0>,\nprofile dev "${BINARY}" flags=(unconfined) {\n  userns,\n}\n`,
        },
        userOwned,
      ),
    ],
  ])("starts when %s", (_name, machine) => {
    expect(sandboxProblem({ platform: "linux", binary: BINARY, host: machine })).toBeUndefined();
  });

  it("a root-owned helper without the setuid bit, or a profile for another binary, does not count", () => {
    expect(
      sandboxProblem({ platform: "linux", binary: BINARY, host: host(ubuntu, { uid: 0, mode: 0o100755 }) }),
    ).toBeDefined();
    const other = host(
      {
        ...ubuntu,
        "/etc/apparmor.d/other": 'profile x "/opt/Other/other" flags=(unconfined) {\n  userns,\n}\n',
      },
      userOwned,
    );
    expect(sandboxProblem({ platform: "linux", binary: BINARY, host: other })).toBeDefined();
  });

  it("Debian's unprivileged_userns_clone=0 gets its own sysctl", () => {
    const problem = sandboxProblem({
      platform: "linux",
      binary: BINARY,
      host: host({ "/proc/sys/kernel/unprivileged_userns_clone": "0" }, userOwned),
    });
    expect(problem).toContain("sudo sysctl -w kernel.unprivileged_userns_clone=1");
    expect(problem).not.toContain("apparmor_parser");
  });

  it("macOS and Windows are not checked", () => {
    expect(
      sandboxProblem({ platform: "darwin", binary: BINARY, host: host(ubuntu, userOwned) }),
    ).toBeUndefined();
    expect(
      sandboxProblem({ platform: "win32", binary: BINARY, host: host(ubuntu, userOwned) }),
    ).toBeUndefined();
  });
});
