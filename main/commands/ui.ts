/**
 * `mcp-warden ui`: a fresh sign-in link for the running warden's UI. The link `serve` printed is good once
 * and for minutes only; this asks the warden for a new one-time code, with the admin token from the
 * user-only tokens.json (or --admin-token-file), after the warden has proved who it is.
 */
import { readFileSync } from "node:fs";
import { dataPaths } from "../core/config/data-dir.js";
import { command, parseCommand } from "./args.js";
import { asUserError, dataDirFrom, userError, verifiedWarden } from "./common.js";
import { readSecret } from "./secrets.js";

export const UI = command({
  name: "ui",
  summary: "print a fresh sign-in link to the running warden's UI (good once, for a few minutes)",
  options: {
    "data-dir": {
      type: "string",
      arg: "DIR",
      help: "the warden's data folder (default: the per-user one, or $MCP_WARDEN_HOME)",
    },
    "admin-token-file": {
      type: "string",
      arg: "FILE",
      help: "the admin token, when serve was given --admin-token-file: a file only you can read, or - for standard input (default: the one in tokens.json)",
    },
    "admin-token": {
      type: "string",
      refused:
        "use --admin-token-file FILE (a file only you can read) or --admin-token-file - (standard input)",
      help: "",
    },
  },
});

/** The admin token: from `--admin-token-file` (a file or standard input), else tokens.json. */
async function adminToken(dataDir: string, file: string | undefined): Promise<string> {
  if (file) return readSecret({ option: "--admin-token-file", file, what: "the admin token file" });
  const path = dataPaths(dataDir).tokens;
  const tokens = asUserError(() => JSON.parse(readFileSync(path, "utf8")) as { admin?: unknown });
  if (typeof tokens.admin !== "string") throw userError(`${path} holds no admin token`);
  return tokens.admin;
}

/** `mcp-warden ui [--data-dir DIR] [--admin-token-file FILE]`: prints the link, exit 0. */
export async function uiCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(UI, argv);
  const dataDir = dataDirFrom(values["data-dir"]);
  const { base, fetch } = await verifiedWarden(dataDir);
  const res = await fetch(`${base}/auth/code`, {
    method: "POST",
    headers: { authorization: `Bearer ${await adminToken(dataDir, values["admin-token-file"])}` },
  });
  if (res.status === 401)
    throw userError("the warden refused the admin token (was it started with --admin-token-file?)");
  const body = (await res.json().catch(() => ({}))) as { url?: unknown; error?: unknown };
  if (!res.ok || typeof body.url !== "string")
    throw userError(
      `the warden could not make a sign-in code: ${String(body.error ?? `HTTP ${res.status}`)}`,
    );
  process.stdout.write(`${body.url}\n`);
  return 0;
}
