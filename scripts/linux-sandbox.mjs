// Ubuntu 23.10 and later restrict unprivileged user namespaces through AppArmor
// (kernel.apparmor_restrict_unprivileged_userns=1). Electron's sandbox then falls back to the SUID helper,
// chrome-sandbox, and aborts at start ("The SUID sandbox helper binary was found, but is not configured
// correctly") unless that file is owned by root with mode 4755. This finds that case before Electron is
// launched and says how to fix it; it never turns the sandbox off.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const PROFILE = "mcp-warden-electron";

/** The machine as this check reads it; tests pass their own. */
export const linuxHost = {
  readFile: (path) => readFileSync(path, "utf8"),
  stat: (path) => statSync(path),
  listDir: (path) => readdirSync(path),
};

function read(host, path) {
  try {
    return host.readFile(path).trim();
  } catch {
    return undefined;
  }
}

/** Why unprivileged user namespaces are unavailable, or undefined when they are. */
function usernsRestriction(host) {
  if (read(host, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1")
    return "kernel.apparmor_restrict_unprivileged_userns=1";
  if (read(host, "/proc/sys/kernel/unprivileged_userns_clone") === "0")
    return "kernel.unprivileged_userns_clone=0";
  if (read(host, "/proc/sys/user/max_user_namespaces") === "0") return "user.max_user_namespaces=0";
  return undefined;
}

/** Whether an AppArmor profile names this binary and allows it user namespaces. */
function hasUsernsProfile(host, binary) {
  let files;
  try {
    files = host.listDir("/etc/apparmor.d");
  } catch {
    return false;
  }
  return files.some((name) => {
    const text = read(host, join("/etc/apparmor.d", name)) ?? "";
    return text.includes(binary) && /^\s*userns\s*,/m.test(text);
  });
}

/** Whether chrome-sandbox is owned by root with mode 4755 (setuid). */
function sandboxHelperReady(host, helper) {
  try {
    const s = host.stat(helper);
    return s.uid === 0 && (s.mode & 0o7777) === 0o4755;
  } catch {
    return false;
  }
}

/**
 * On Linux, the reason Electron's sandbox would abort at start and the commands that fix it, or undefined
 * when it can start. `binary` is Electron's executable; chrome-sandbox sits beside it.
 */
export function sandboxProblem({ platform, binary, host = linuxHost }) {
  if (platform !== "linux") return undefined;
  const restriction = usernsRestriction(host);
  if (!restriction) return undefined;
  const helper = join(binary, "..", "chrome-sandbox");
  if (sandboxHelperReady(host, helper)) return undefined;
  if (restriction.startsWith("kernel.apparmor") && hasUsernsProfile(host, binary)) return undefined;
  const profile = [
    "abi <abi/4.0>,",
    "include <tunables/global>",
    `profile ${PROFILE} "${binary}" flags=(unconfined) {`,
    "  userns,",
    `  include if exists <local/${PROFILE}>`,
    "}",
  ];
  const lines = [
    `Electron cannot start its sandbox here: unprivileged user namespaces are restricted (${restriction}) and`,
    `${helper} is not owned by root with mode 4755, so Electron would abort. Running MCP Warden headless.`,
    "For the tray app, do one of these (the sandbox stays on; MCP Warden never adds --no-sandbox):",
    "  1. Make the sandbox helper setuid root (again after each npm install):",
    `       sudo chown root:root "${helper}" && sudo chmod 4755 "${helper}"`,
  ];
  if (restriction.startsWith("kernel.apparmor")) {
    lines.push(
      `  2. Allow this Electron user namespaces with an AppArmor profile, /etc/apparmor.d/${PROFILE}:`,
      ...profile.map((line) => `       ${line}`),
      `     then: sudo apparmor_parser -r /etc/apparmor.d/${PROFILE}`,
      "  3. Lift the restriction for the whole system (less protection; until reboot unless put in /etc/sysctl.d):",
      "       sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
    );
  } else {
    const [key] = restriction.split("=");
    const on = key === "user.max_user_namespaces" ? "15000" : "1";
    lines.push("  2. Allow unprivileged user namespaces:", `       sudo sysctl -w ${key}=${on}`);
  }
  return lines.join("\n");
}
