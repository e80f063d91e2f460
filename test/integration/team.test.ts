/**
 * Teams on Redis, end to end: three real wardens (`mcp-warden serve`, each with its own upstream
 * process and data folder) joined to one real redis-server, driven by real SDK clients.
 */

import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { readSse } from "../../main/core/proxy/sse.js";
import type { AnswerStatement } from "../../main/core/team/answers.js";
import {
  loadOrCreateKeys,
  type Signed,
  type StatementBase,
  signStatement,
} from "../../main/core/team/keys.js";
import type { TeamStatus } from "../../shared/contract.js";
import { capConnections } from "../helpers/fetch.js";
import {
  type MemberDir,
  makeTlsFiles,
  memberDirs,
  type RunningRedis,
  startRedis,
  writeTeamSettings,
} from "../helpers/redis.js";
import {
  ADMIN_TOKEN,
  callTool,
  type RunningWarden,
  readState,
  startWarden,
  tempDir,
  textOf,
  virtualizationServer,
  waitFor,
} from "../helpers/warden.js";

let redis: RunningRedis | undefined;
let wardens: RunningWarden[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(wardens.map((w) => w.stop()));
  wardens = [];
  for (const c of clients.splice(0)) c.disconnect();
  await redis?.stop();
  redis = undefined;
});

/** The `i`-th item, going round the list. */
function nth<T>(list: readonly T[], i: number): T {
  const item = list[i % list.length];
  if (item === undefined) throw new Error("empty list");
  return item;
}

/** A team member's warden with its own upstream (whose state file journals what reached it). */
interface Member {
  dir: MemberDir;
  warden: RunningWarden;
  state: string;
}

/** Starts one warden per member folder, in front of its own stand-in server. */
async function startMembers(dirs: readonly MemberDir[], policy: string): Promise<Member[]> {
  return Promise.all(
    dirs.map(async (dir) => {
      const state = join(tempDir(), "virt.json");
      const warden = await startWarden({
        policy,
        dataDir: dir.dataDir,
        servers: { virt: { ...virtualizationServer("testing", state), share: true } },
      });
      wardens.push(warden);
      return { dir, warden, state };
    }),
  );
}

async function teamOf(w: RunningWarden): Promise<TeamStatus> {
  return w.api("getTeam");
}

async function allConnected(members: readonly Member[]): Promise<void> {
  await waitFor(
    async () =>
      (await Promise.all(members.map((m) => teamOf(m.warden)))).every((t) => t.state === "connected"),
    20_000,
    "every warden connected to the team",
  );
}

/** Calls that reached a member's upstream. */
function forwarded(member: Member, tool: string): number {
  try {
    return readState(member.state).calls.filter((c) => c.tool === tool).length;
  } catch {
    return 0;
  }
}

function forwardedAll(members: readonly Member[], tool: string): number {
  return members.reduce((n, m) => n + forwarded(m, tool), 0);
}

const TEAM_LIMIT_POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    list_vms: { action: "allow" },
    pause_vm: { limits: [{ counter: "pauses", window: "hour", max: 10, scope: "global", team: true }] },
  },
});

describe("a team-wide limit", () => {
  it("10,000 simultaneous calls over three wardens against max 10: exactly 10 reach the upstreams", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob", "carol"]);
    writeTeamSettings(dirs, redis.url);
    const members = await startMembers(dirs, TEAM_LIMIT_POLICY);
    await allConnected(members);
    const restore = capConnections(256);
    const results = await (async () => {
      const sessions = await Promise.all(
        members.flatMap((m) => [m.warden.client("virt"), m.warden.client("virt")]),
      );
      return Promise.all(
        Array.from({ length: 10_000 }, (_, i) =>
          callTool(nth(sessions, i), "pause_vm", { vm_name: `vm-${i}` }),
        ),
      );
    })().finally(restore);
    const admitted = results.filter((r) => !r.isError);
    expect(admitted).toHaveLength(10);
    expect(forwardedAll(members, "pause_vm")).toBe(10);
    const refused = results.filter((r) => r.isError).map(textOf);
    expect(refused.every((t) => t.includes('team-wide limit "pauses" reached: 10 per hour'))).toBe(true);
  }, 240_000);

  it("with Redis killed mid-burst, calls are refused with the reason, local rules go on, and after it returns the team still admits 10 in all", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob", "carol"]);
    writeTeamSettings(dirs, redis.url);
    const members = await startMembers(dirs, TEAM_LIMIT_POLICY);
    await allConnected(members);
    const sessions = await Promise.all(members.map((m) => m.warden.client("virt")));
    // One call through each warden: 3 of the 10 slots are taken.
    for (const s of sessions) expect((await callTool(s, "pause_vm")).isError).toBeFalsy();
    // A burst, with Redis killed while it is in flight.
    const burst = Array.from({ length: 600 }, (_, i) => callTool(nth(sessions, i), "pause_vm", { i }));
    // Killed as soon as the first answer of the burst is back: the rest are in flight.
    await Promise.race(burst);
    const killed = redis.kill();
    const during = await Promise.all(burst);
    await killed;
    await waitFor(
      async () => (await Promise.all(members.map((m) => teamOf(m.warden)))).every((t) => t.state === "down"),
      20_000,
      "every warden seeing the team down",
    );
    const whileDown = await callTool(nth(sessions, 1), "pause_vm");
    expect(whileDown.isError).toBe(true);
    expect(textOf(whileDown)).toContain("the team's Redis cannot be reached");
    // Local rules keep working without the team.
    expect((await callTool(nth(sessions, 2), "list_vms")).isError).toBeFalsy();
    const admittedBefore = 3 + during.filter((r) => !r.isError).length;
    expect(forwardedAll(members, "pause_vm")).toBe(admittedBefore);
    for (const r of during.filter((r) => r.isError))
      expect(textOf(r)).toMatch(/team-wide limit "pauses" reached|the team's Redis cannot be reached/);
    const unreachable = during.filter((r) => textOf(r).includes("cannot be reached")).length;
    process.stdout.write(
      `burst while Redis was killed: ${admittedBefore - 3} admitted, ${during.length - unreachable - (admittedBefore - 3)} refused by the limit, ${unreachable} refused as unreachable\n`,
    );

    // Redis comes back empty (no persistence): each warden writes back the slots it holds first.
    await redis.restart();
    await allConnected(members);
    const after = await Promise.all(
      Array.from({ length: 60 }, (_, i) => callTool(nth(sessions, i), "pause_vm", { after: i })),
    );
    expect(forwardedAll(members, "pause_vm")).toBe(10);
    expect(admittedBefore + after.filter((r) => !r.isError).length).toBe(10);
  }, 240_000);
});

describe("joining a team", () => {
  it("over TLS (rediss://), trusting the team's CA from a file; a warden without it refuses the certificate", async () => {
    const tls = makeTlsFiles();
    redis = await startRedis([], tls);
    const dirs = memberDirs(["alice", "bob"]);
    writeTeamSettings(dirs, redis.url, {}, (m) => (m.name === "alice" ? { caFile: tls.ca } : {}));
    const [a, b] = await startMembers(dirs, TEAM_LIMIT_POLICY);
    if (!a || !b) throw new Error("no wardens");
    await allConnected([a]);
    expect((await teamOf(a.warden)).redis).toBe(redis.url);
    expect((await callTool(await a.warden.client("virt"), "pause_vm")).isError).toBeFalsy();
    await waitFor(
      async () => /certificate/i.test((await teamOf(b.warden)).lastError ?? ""),
      20_000,
      "bob refusing the unknown certificate",
    );
    expect((await teamOf(b.warden)).state).not.toBe("connected");
  }, 60_000);

  it("as a Redis ACL user whose password is read from a file (never the command line); a wrong password leaves the team down and local rules working", async () => {
    redis = await startRedis([
      "--user",
      "default",
      "off",
      "--user",
      "warden",
      "on",
      ">s3cret-pw",
      "~mcp-warden:*",
      "&mcp-warden:*",
      "+@all",
    ]);
    const dirs = memberDirs(["alice", "bob"]);
    const good = join(tempDir(), "redis-password");
    writeFileSync(good, "s3cret-pw\n", { mode: 0o600 });
    const bad = join(tempDir(), "redis-password");
    writeFileSync(bad, "not-it\n", { mode: 0o600 });
    writeTeamSettings(dirs, redis.url, { username: "warden" }, (m) => ({
      passwordFile: m.name === "alice" ? good : bad,
    }));
    const [a, b] = await startMembers(dirs, TEAM_LIMIT_POLICY);
    if (!a || !b) throw new Error("no wardens");
    await allConnected([a]);
    const aliceTeam = await teamOf(a.warden);
    expect(aliceTeam.members.find((m) => m.name === "alice")?.online).toBe(true);
    expect((await callTool(await a.warden.client("virt"), "pause_vm")).isError).toBeFalsy();
    const cmdline = readFileSync(`/proc/${a.warden.process.pid}/cmdline`, "utf8");
    expect(cmdline).not.toContain("s3cret-pw");

    await waitFor(
      async () => (await teamOf(b.warden)).lastError?.includes("WRONGPASS") === true,
      20_000,
      "bob's refused login",
    );
    expect((await teamOf(b.warden)).state).not.toBe("connected");
    const bobClient = await b.warden.client("virt");
    const refused = await callTool(bobClient, "pause_vm");
    expect(textOf(refused)).toContain("the team's Redis cannot be reached");
    expect((await callTool(bobClient, "list_vms")).isError).toBeFalsy();
  }, 60_000);
});

/** Follows one warden's event stream; resolves `seen` with the time the first matching event arrived. */
function watchEvents(w: RunningWarden, event: string, match: (data: unknown) => boolean) {
  const abort = new AbortController();
  let resolveSeen: (t: number) => void = () => {};
  const seen = new Promise<number>((resolve) => {
    resolveSeen = resolve;
  });
  const opened = fetch(`${w.url}/api/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: abort.signal,
  }).then((res) => {
    if (!res.body) throw new Error("no event stream");
    void readSse(res.body, 1 << 20, (e) => {
      if (e.event === event && match(JSON.parse(e.data))) resolveSeen(performance.now());
    }).catch(() => {});
  });
  return { opened, seen, close: () => abort.abort() };
}

describe("the team Deny-all", () => {
  it("one member's switch stops every warden (new calls and pending approvals); only its owner or an admin turns it off; the audit says who", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob", "carol"]);
    writeTeamSettings(dirs, redis.url, { admins: ["carol"] });
    const policy = JSON.stringify({
      version: "1",
      default: "deny",
      tools: { list_vms: { action: "allow" }, stop_vm: { action: "approve", approval: { timeout: "2m" } } },
    });
    const [alice, bob] = await startMembers(dirs.slice(0, 2), policy);
    if (!alice || !bob) throw new Error("no members");
    await allConnected([alice, bob]);
    const bobClient = await bob.warden.client("virt");
    const waiting = callTool(bobClient, "stop_vm", { vm_name: "dev-1" });
    await waitFor(async () => (await bob.warden.api("listApprovals")).length === 1, 10_000, "bob's approval");

    const watchers = [alice, bob].map((m) =>
      watchEvents(m.warden, "denyAll", (d) => (d as { on: boolean }).on),
    );
    await Promise.all(watchers.map((w) => w.opened));
    const t0 = performance.now();
    expect(await alice.warden.api("setTeamDenyAll", { on: true })).toEqual({ ok: true });
    const delays = (await Promise.all(watchers.map((w) => w.seen))).map((t) => t - t0);
    for (const w of watchers) w.close();
    process.stdout.write(
      `team Deny-all seen after: alice ${delays[0]?.toFixed(1)} ms, bob ${delays[1]?.toFixed(1)} ms\n`,
    );
    const refused = await waiting;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Deny-all was turned on while this call waited");
    expect(textOf(await callTool(bobClient, "list_vms"))).toContain("Deny-all is on");

    // A warden joining while it is on sees it on.
    const [carol] = await startMembers(dirs.slice(2), policy);
    if (!carol) throw new Error("no carol");
    await allConnected([carol]);
    expect((await teamOf(carol.warden)).denyAll).toMatchObject({ on: true, by: "alice" });
    expect(textOf(await callTool(await carol.warden.client("virt"), "list_vms"))).toContain("Deny-all is on");

    // Redis restarts empty: the wardens put the statement back, so Carol, restarted, still sees it on.
    await redis.kill();
    await redis.restart();
    await allConnected([alice, bob, carol]);
    await carol.warden.stop();
    const [carolAgain] = await startMembers(dirs.slice(2), policy);
    if (!carolAgain) throw new Error("no carol");
    await allConnected([carolAgain]);
    expect((await teamOf(carolAgain.warden)).denyAll).toMatchObject({ on: true, by: "alice" });

    // Bob may not turn off what Alice turned on; Carol, a team admin, may.
    const bobOff = await bob.warden.api("setTeamDenyAll", { on: false });
    expect(bobOff.ok).toBe(false);
    expect(bobOff.error).toContain("only alice (who turned it on) or a team admin");
    expect(await carolAgain.warden.api("setTeamDenyAll", { on: false })).toEqual({ ok: true });
    await waitFor(async () => !(await bob.warden.api("getState")).denyAll, 10_000, "bob seeing it off");
    expect((await callTool(bobClient, "list_vms")).isError).toBeFalsy();

    const audit = readFileSync(join(bob.dir.dataDir, "audit.jsonl"), "utf8");
    expect(audit).toMatch(/"t":"team","ts":\d+,"event":"team-deny-all-on","by":"alice"/);
    expect(audit).toMatch(/"t":"team","ts":\d+,"event":"team-deny-all-off","by":"carol"/);
  }, 120_000);
});

const TEAM_APPROVAL_POLICY = JSON.stringify({
  version: "1",
  default: "deny",
  tools: {
    stop_vm: { action: "approve", approval: { team: true, others: true, timeout: "1m" } },
    start_vm: { action: "approve", approval: { team: true, others: true, timeout: "2s" } },
  },
});

/** Publishes a statement on the team channel as anyone with access to Redis could. */
async function publish(url: string, type: string, signed: Signed<StatementBase>): Promise<void> {
  const client = new Redis(url);
  clients.push(client);
  await client.publish("mcp-warden:ops:events", JSON.stringify({ type, signed }));
}

describe("approvals any teammate can answer", () => {
  it("a teammate approves, another denies, no one answers in time; forged answers are refused", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob", "carol"]);
    writeTeamSettings(dirs, redis.url);
    const members = await startMembers(dirs, TEAM_APPROVAL_POLICY);
    const [alice, bob, carol] = members;
    if (!alice || !bob || !carol) throw new Error("no members");
    await allConnected(members);
    const client = await alice.warden.client("virt");
    // Every answer published on the team channel, as a listener on Redis sees it.
    const tap = new Redis(redis.url);
    clients.push(tap);
    const answers: Signed<AnswerStatement>[] = [];
    tap.on("message", (_c, text) => {
      const m = JSON.parse(text) as { type: string; signed: Signed<AnswerStatement> };
      if (m.type === "answer") answers.push(m.signed);
    });
    await tap.subscribe("mcp-warden:ops:events");

    const pendingAt = async (w: RunningWarden, n: number) =>
      waitFor(async () => (await w.api("listApprovals")).length === n, 10_000, `${n} approvals`);

    // 1. Bob approves Alice's call; Alice herself may not.
    const first = callTool(client, "stop_vm", { vm_name: "dev-1" });
    await pendingAt(bob.warden, 1);
    const [offered] = await bob.warden.api("listApprovals");
    if (!offered) throw new Error("nothing offered");
    expect(offered.team).toEqual({ requester: "alice", othersOnly: true });
    const own = await alice.warden.api("approve", { id: offered.id });
    expect(own).toEqual({ ok: false, error: "a team member other than alice must approve this call" });
    expect(await bob.warden.api("approve", { id: offered.id, callHash: offered.callHash })).toEqual({
      ok: true,
    });
    const approved = await first;
    expect(approved.isError).toBeFalsy();
    expect(forwarded(alice, "stop_vm")).toBe(1);
    const approvedRecord = (await alice.warden.api("listCalls", {})).find((c) => c.tool === "stop_vm");
    expect(approvedRecord).toMatchObject({ status: "approved", answeredBy: "bob" });
    await pendingAt(carol.warden, 0);

    // 2. Forgeries while a call waits: each is refused and the call keeps waiting.
    const second = callTool(client, "stop_vm", { vm_name: "dev-2" });
    await pendingAt(bob.warden, 1);
    const [waiting] = await bob.warden.api("listApprovals");
    if (!waiting) throw new Error("nothing waiting");
    const refusedCount = async () => (await teamOf(alice.warden)).refused.length;
    const base = {
      kind: "answer" as const,
      team: "ops",
      approvalId: waiting.id,
      callId: waiting.callId,
      callHash: waiting.callHash,
      to: "alice",
      answer: "approve" as const,
    };
    // Signed with a key that is not Bob's.
    const stranger = { privateKey: generateKeyPairSync("ed25519").privateKey, publicKey: "" };
    await publish(
      redis.url,
      "answer",
      signStatement<AnswerStatement>(stranger, { ...base, by: "bob", at: Date.now() }),
    );
    await waitFor(async () => (await refusedCount()) === 1, 10_000, "the wrong key refused");
    // Bob's real answer to the first call, replayed.
    const used = answers[0];
    if (!used) throw new Error("no answer seen");
    await publish(redis.url, "answer", used);
    await waitFor(async () => (await refusedCount()) === 2, 10_000, "the replay refused");
    // Signed with Bob's own key, but for another call than this approval's.
    const bobKeys = loadOrCreateKeys(bob.dir.dataDir);
    await publish(
      redis.url,
      "answer",
      signStatement<AnswerStatement>(bobKeys, {
        ...base,
        callId: offered.callId,
        callHash: offered.callHash,
        by: "bob",
        at: Date.now(),
      }),
    );
    await waitFor(async () => (await refusedCount()) === 3, 10_000, "the answer for another call refused");
    // Signed by Bob, for this call, but stale.
    await publish(
      redis.url,
      "answer",
      signStatement<AnswerStatement>(bobKeys, { ...base, by: "bob", at: Date.now() - 120_000 }),
    );
    await waitFor(async () => (await refusedCount()) === 4, 10_000, "the stale answer refused");
    const reasons = (await teamOf(alice.warden)).refused.map((r) => r.reason);
    expect(reasons[0]).toContain("whose signature is not that member's key");
    expect(reasons[1]).toContain("already used");
    expect(reasons[2]).toContain("for another call");
    expect(reasons[3]).toContain("not fresh");
    expect(forwarded(alice, "stop_vm")).toBe(1);
    expect((await alice.warden.api("listApprovals")).length).toBe(1);

    // 3. Carol denies it.
    expect(await carol.warden.api("deny", { id: waiting.id })).toEqual({ ok: true });
    const denied = await second;
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("carol (team) denied this call");

    // 4. No one answers in time.
    const third = await callTool(client, "start_vm", { vm_name: "dev-3" });
    expect(third.isError).toBe(true);
    expect(textOf(third)).toContain("no one approved this call in time");
    expect(forwarded(alice, "stop_vm")).toBe(1);
    expect(forwarded(alice, "start_vm")).toBe(0);
    const audit = readFileSync(join(alice.dir.dataDir, "audit.jsonl"), "utf8");
    const outcomes = audit
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { t?: string; status?: string; answeredBy?: string });
    expect(outcomes).toContainEqual(expect.objectContaining({ status: "approved", answeredBy: "bob" }));
    expect(audit).toMatch(/"answeredBy":"carol"/);
  }, 120_000);

  it("a call that needs a teammate is refused while the team cannot be reached", async () => {
    redis = await startRedis();
    const dirs = memberDirs(["alice", "bob"]);
    writeTeamSettings(dirs, redis.url);
    const [alice] = await startMembers(dirs.slice(0, 1), TEAM_APPROVAL_POLICY);
    if (!alice) throw new Error("no alice");
    await allConnected([alice]);
    await redis.kill();
    await waitFor(async () => (await teamOf(alice.warden)).state === "down", 10_000, "the team down");
    const result = await callTool(await alice.warden.client("virt"), "stop_vm", { vm_name: "dev-1" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("needs a teammate's approval, and the team cannot be reached");
  }, 60_000);
});
