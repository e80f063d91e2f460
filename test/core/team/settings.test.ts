/** The team section of settings.json: what is accepted, and the clear error for what is not. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTeamSettings } from "../../../main/core/team/settings.js";
import { tempDir } from "../../helpers/warden.js";

const KEY = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

function store(team: unknown) {
  return { get: (key: string) => (key === "team" ? team : undefined), set: () => {} };
}

const base = { redis: "redis://127.0.0.1:6379", name: "ops", member: "alice", members: { alice: KEY } };

describe("team settings", () => {
  it("no team section: no team", () => {
    expect(readTeamSettings(store(undefined))).toBeUndefined();
  });

  it("reads the password from a file, and an ACL user from the settings", () => {
    const file = join(tempDir(), "redis-password");
    writeFileSync(file, "s3cret\n", { mode: 0o600 });
    const settings = readTeamSettings(
      store({ ...base, redis: "rediss://redis.example:6380", username: "warden", passwordFile: file }),
    );
    expect(settings).toMatchObject({
      username: "warden",
      password: "s3cret",
      shownUrl: "rediss://redis.example:6380",
    });
  });

  it("reads the password from the environment", () => {
    expect(readTeamSettings(store({ ...base, passwordEnv: "TEAM_PW" }), { TEAM_PW: "pw" })?.password).toBe(
      "pw",
    );
  });

  it.each([
    ["a password in the URL", { redis: "redis://u:pw@127.0.0.1:6379" }, "must not hold a password"],
    ["another scheme", { redis: "http://127.0.0.1:6379" }, "redis:// or rediss://"],
    ["no pinned key of its own", { members: {} }, "must pin this member's own key"],
    ["a key that is not one", { members: { alice: "nope" } }, "must be an Ed25519 public key"],
    ["a member name with a space", { member: "a b" }, "team.member may hold only"],
    ["an unset password variable", { passwordEnv: "NOT_SET_ANYWHERE" }, "which is not set"],
    ["a CA file for a plain redis:// URL", { caFile: "/etc/hostname" }, "needs a rediss:// (TLS) URL"],
    [
      "a CA file that cannot be read",
      { redis: "rediss://r:6380", caFile: "/no/such/ca.pem" },
      "cannot read team.caFile",
    ],
  ])("%s is refused with a clear message", (_name, change, message) => {
    expect(() => readTeamSettings(store({ ...base, ...change }), {})).toThrow(message);
  });
});
