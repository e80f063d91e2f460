/**
 * `mcp-warden deny-all [on|off]`: flips the running warden's kill switch through the control API. When the
 * API cannot be reached (the warden's file descriptors used up, say), `on` still works: it sends the
 * warden's process DENY_ALL_SIGNAL, after checking that the pid runtime.json names really is an
 * `mcp-warden serve` of this user.
 */

import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { dataPaths, ensureTokens } from "../core/config/data-dir.js";
import { DENY_ALL_SIGNAL } from "../core/deny-all-signal.js";
import { StartupError } from "../core/runtime.js";
import { parseCommand } from "./args.js";
import { dataDirFrom, runningWarden, userError } from "./common.js";
import { readSecret } from "./secrets.js";

/** The command as the CLI's help lists it. */
export const DENY_ALL = {
  name: "deny-all",
  summary: "turn the running warden's Deny-all on (the default) or off",
  positionals: [{ name: "on|off", help: "on refuses every call until it is turned off", optional: true }],
  options: {
    "data-dir": {
      type: "string",
      arg: "DIR",
      help: "the running warden's data folder (default: the per-user one)",
    },
    "admin-token-file": {
      type: "string",
      arg: "FILE",
      help: "a file (only you can read) holding the control API's token, or - to read it from standard input (default: the one in tokens.json)",
    },
    "admin-token": {
      type: "string",
      refused:
        "use --admin-token-file FILE (a file only you can read) or --admin-token-file - (standard input)",
      help: "",
    },
  },
  details: [
    `When the control API cannot be reached, "on" is sent as ${DENY_ALL_SIGNAL} to the warden's process ` +
      '(needs no connection); "off" always needs the API.',
  ],
} as const;

/** How long the control API gets before the signal is used instead. */
const API_WAIT_MS = 3_000;

/** Whether `pid` is an `mcp-warden serve` run by this user (Linux: /proc; elsewhere only the owner check). */
export function isWardenProcess(pid: number): boolean {
  try {
    if (typeof process.getuid === "function" && statSync(`/proc/${pid}`).uid !== process.getuid())
      return false;
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return args.includes("serve") && args.some((a) => /(?:^|\/)(?:cli\.js|mcp-warden)$/.test(a));
  } catch {
    return false;
  }
}

/**
 * Sets Deny-all through the control API, on a connection of its own, giving up after API_WAIT_MS (a
 * warden out of descriptors leaves the connection hanging in its listen queue).
 */
function throughApi(url: string, token: string, on: boolean): Promise<{ denyAll: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/setDenyAll`,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => {
          clearTimeout(timer);
          if (res.statusCode !== 200)
            reject(userError(`the control API answered ${res.statusCode}: ${body}`));
          else resolve(JSON.parse(body) as { denyAll: boolean; error?: string });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${API_WAIT_MS} ms`)), API_WAIT_MS);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(JSON.stringify({ on }));
  });
}

/** Runs the command; returns the exit code. */
export async function denyAllCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(DENY_ALL, argv);
  const word = positionals[0] ?? "on";
  if (word !== "on" && word !== "off") throw userError(`deny-all takes on or off, not "${word}"`);
  const on = word === "on";
  const dataDir = dataDirFrom(values["data-dir"]);
  const warden = runningWarden(dataDir);
  if (!warden) throw userError(`no running warden found (${dataPaths(dataDir).runtime})`);
  const tokenFile = values["admin-token-file"];
  const token =
    tokenFile !== undefined
      ? await readSecret({ option: "--admin-token-file", file: tokenFile, what: "the admin token file" })
      : ensureTokens(dataPaths(dataDir).tokens).admin;
  let unreachable: string;
  try {
    const result = await throughApi(warden.url, token, on);
    process.stdout.write(
      `Deny-all is ${result.denyAll ? "on" : "off"}${result.error ? ` (${result.error})` : ""}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof StartupError) throw error;
    unreachable = (error as Error).message;
  }
  if (!on)
    throw userError(
      `the control API cannot be reached (${unreachable}); Deny-all can only be turned off through it`,
    );
  if (!isWardenProcess(warden.pid))
    throw userError(
      `process ${warden.pid} from runtime.json is not an mcp-warden serve of this user; nothing sent`,
    );
  process.kill(warden.pid, DENY_ALL_SIGNAL);
  process.stdout.write(
    `the control API cannot be reached (${unreachable}): sent ${DENY_ALL_SIGNAL} to the warden (pid ${warden.pid}), which turns Deny-all on\n`,
  );
  return 0;
}
