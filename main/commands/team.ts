/**
 * `mcp-warden team key`: prints this member's public key, the text teammates pin under `team.members` in
 * their settings.json. The key pair is made on first use (the private key user-only in the data folder,
 * as serve makes it), so a member can hand out the key before any team settings exist — they must already
 * pin the member's own key.
 */
import { mkdirSync } from "node:fs";
import { checkDataDir } from "../core/config/private-files.js";
import { KEY_FILE, loadOrCreateKeys } from "../core/team/keys.js";
import { command, parseCommand } from "./args.js";
import { asUserError, dataDirFrom, userError } from "./common.js";

export const TEAM = command({
  name: "team",
  summary: "print this member's public team key, for teammates to pin in their settings",
  positionals: [{ name: "key", help: "print the public key (base64url, one line)" }],
  options: {
    "data-dir": {
      type: "string",
      arg: "DIR",
      help: "the data folder holding the key (default: the per-user one, or $MCP_WARDEN_HOME)",
    },
  },
  details: [
    `The key pair is made on first use: the private key stays in the data folder (${KEY_FILE}, only you ` +
      "may read it) and signs what this warden tells the team; the public key is safe to share.",
    'Each member adds every member\'s key, their own included, to settings.json: "team": { "members": ' +
      '{ "alice": "<alice\'s key>", "bob": "<bob\'s key>" }, … }.',
  ],
});

/** Runs `team key`; returns the exit code. */
export function teamCommand(argv: string[]): number {
  const { values, positionals } = parseCommand(TEAM, argv);
  if (positionals[0] !== "key")
    throw userError(`team takes key, not "${positionals[0]}"; see mcp-warden team --help`);
  const dataDir = dataDirFrom(values["data-dir"]);
  // The key is only as private as its folder: one another user may write is refused, as serve refuses it.
  asUserError(() => mkdirSync(dataDir, { recursive: true, mode: 0o700 }));
  checkDataDir(dataDir);
  const { publicKey } = asUserError(() => loadOrCreateKeys(dataDir));
  process.stdout.write(`${publicKey}\n`);
  return 0;
}
