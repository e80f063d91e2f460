/**
 * The `team` section of settings.json: which Redis, which team, who this member is, whose keys are
 * trusted and who may turn off a Deny-all someone else turned on. The Redis password is never in the
 * settings or on the command line: it is read from a file (user-only) or an environment variable.
 */
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SettingsStore } from "../config/settings.js";
import { parsePublicKey } from "./keys.js";

/** The team settings, checked. */
export interface TeamSettings {
  /** redis:// or rediss:// (TLS), without a password. */
  url: string;
  /** The URL as shown to people. */
  shownUrl: string;
  username: string | undefined;
  password: string | undefined;
  /** For rediss://: the CA certificates (PEM) to trust instead of the system's, from team.caFile. */
  ca: string | undefined;
  team: string;
  member: string;
  /** Pinned public keys by member name: the only keys whose statements count. */
  members: ReadonlyMap<string, KeyObject>;
  /** The pinned keys as written, to compare with what members announce. */
  memberKeys: ReadonlyMap<string, string>;
  /** Members who may turn off a team Deny-all that another member turned on. */
  admins: ReadonlySet<string>;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Reads the team settings; undefined when there is no team. Throws with a clear message when invalid. */
export function readTeamSettings(
  settings: SettingsStore,
  env: NodeJS.ProcessEnv = process.env,
): TeamSettings | undefined {
  const raw = settings.get("team");
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error('settings "team" must be an object');
  const t = raw as Record<string, unknown>;
  const url = requireString(t, "redis");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`settings team.redis is not a URL: ${url}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new Error("settings team.redis must start with redis:// or rediss://");
  if (parsed.password)
    throw new Error(
      "settings team.redis must not hold a password: put it in a file (team.passwordFile) or an environment variable (team.passwordEnv)",
    );
  const team = requireName(t, "name");
  const member = requireName(t, "member");
  const { members, memberKeys } = readMembers(t.members);
  if (!members.has(member))
    throw new Error(`settings team.members must pin this member's own key ("${member}")`);
  const admins = new Set(readNames(t.admins, "admins"));
  const username = typeof t.username === "string" && t.username ? t.username : undefined;
  const shown = new URL(url);
  return {
    url,
    shownUrl: `${shown.protocol}//${shown.host}${shown.pathname === "/" ? "" : shown.pathname}`,
    username: username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined),
    password: readPassword(t, env),
    ca: readCa(t, parsed.protocol),
    team,
    member,
    members,
    memberKeys,
    admins,
  };
}

function requireString(t: Record<string, unknown>, key: string): string {
  const value = t[key];
  if (typeof value !== "string" || !value) throw new Error(`settings team.${key} must be a non-empty string`);
  return value;
}

function requireName(t: Record<string, unknown>, key: string): string {
  const value = requireString(t, key);
  if (!NAME.test(value))
    throw new Error(`settings team.${key} may hold only letters, digits, "_", "." and "-"`);
  return value;
}

function readNames(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new Error(`settings team.${key} must be a list of member names`);
  return value;
}

function readMembers(value: unknown): {
  members: Map<string, KeyObject>;
  memberKeys: Map<string, string>;
} {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new Error('settings team.members must map member names to public keys ({"alice": "…"})');
  const members = new Map<string, KeyObject>();
  const memberKeys = new Map<string, string>();
  for (const [name, text] of Object.entries(value)) {
    const key = typeof text === "string" ? parsePublicKey(text) : undefined;
    if (!NAME.test(name) || !key || typeof text !== "string")
      throw new Error(
        `settings team.members["${name}"] must be an Ed25519 public key (43 base64url characters)`,
      );
    members.set(name, key);
    memberKeys.set(name, text);
  }
  return { members, memberKeys };
}

function readCa(t: Record<string, unknown>, protocol: string): string | undefined {
  if (t.caFile === undefined) return undefined;
  if (typeof t.caFile !== "string" || !t.caFile) throw new Error("settings team.caFile must be a file path");
  if (protocol !== "rediss:") throw new Error("settings team.caFile needs a rediss:// (TLS) URL");
  try {
    return readFileSync(t.caFile, "utf8");
  } catch (error) {
    throw new Error(`cannot read team.caFile ${t.caFile}: ${(error as Error).message}`);
  }
}

function readPassword(t: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  if (typeof t.passwordFile === "string" && t.passwordFile) {
    try {
      return readFileSync(t.passwordFile, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new Error(`cannot read team.passwordFile ${t.passwordFile}: ${(error as Error).message}`);
    }
  }
  if (typeof t.passwordEnv === "string" && t.passwordEnv) {
    const value = env[t.passwordEnv];
    if (value === undefined) throw new Error(`team.passwordEnv names ${t.passwordEnv}, which is not set`);
    return value;
  }
  return undefined;
}
