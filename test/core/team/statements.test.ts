/** Signed team statements: the Deny-all's rules and the checks an answer must pass, with real Ed25519 keys. */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type AnswerStatement,
  checkAnswer,
  checkRequest,
  type RequestStatement,
} from "../../../main/core/team/answers.js";
import { applyDenyAll, type DenyAllStatement, type TeamDenyAll } from "../../../main/core/team/deny-all.js";
import {
  loadOrCreateKeys,
  type MemberKeys,
  parsePublicKey,
  publicKeyText,
  signStatement,
} from "../../../main/core/team/keys.js";
import type { PendingApproval } from "../../../shared/contract.js";
import { tempDir } from "../../helpers/warden.js";

function member(): MemberKeys {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey: publicKeyText(publicKey) };
}

const alice = member();
const bob = member();
const carol = member();
const pinned = new Map<string, KeyObject>(
  [
    ["alice", alice],
    ["bob", bob],
    ["carol", carol],
  ].map(([name, keys]) => [name as string, parsePublicKey((keys as MemberKeys).publicKey) as KeyObject]),
);
const admins = new Set(["carol"]);

function denyAll(keys: MemberKeys, by: string, on: boolean, at: number) {
  return signStatement<DenyAllStatement>(keys, { kind: "deny-all", team: "ops", by, at, on });
}

describe("team Deny-all statements", () => {
  const onByAlice = denyAll(alice, "alice", true, 1_000);
  const aliceOn: TeamDenyAll = { on: true, by: "alice", at: 1_000, signed: onByAlice };
  it.each([
    [
      "any member turns it on",
      { on: false } as TeamDenyAll,
      denyAll(bob, "bob", true, 10),
      { on: true, by: "bob" },
    ],
    ["its owner turns it off", aliceOn, denyAll(alice, "alice", false, 2_000), { on: false, by: "alice" }],
    ["a team admin turns it off", aliceOn, denyAll(carol, "carol", false, 2_000), { on: false, by: "carol" }],
  ])("%s", (_name, current, signed, expected) => {
    const result = applyDenyAll(current, signed, pinned, admins, "ops");
    expect("state" in result && result.state).toMatchObject(expected);
  });

  it.each([
    [
      "another member may not turn it off",
      aliceOn,
      denyAll(bob, "bob", false, 2_000),
      '"bob" may not turn off',
    ],
    [
      "an old statement replayed changes nothing",
      aliceOn,
      denyAll(alice, "alice", false, 500),
      "older than the one in force",
    ],
    [
      "a key that is not the signer's",
      { on: false },
      denyAll(bob, "alice", true, 10),
      "not that member's key",
    ],
    ["an unpinned signer", { on: false }, denyAll(bob, "mallory", true, 10), "not a pinned member"],
    [
      "another team's statement",
      { on: false },
      signStatement<DenyAllStatement>(alice, { kind: "deny-all", team: "dev", by: "alice", at: 1, on: true }),
      "another team",
    ],
  ])("%s", (_name, current, signed, reason) => {
    const result = applyDenyAll(current as TeamDenyAll, signed, pinned, admins, "ops");
    expect("refused" in result && result.refused).toContain(reason);
  });

  it("a statement whose contents were changed after signing is refused", () => {
    const forged = { ...onByAlice, statement: { ...onByAlice.statement, on: false } };
    const result = applyDenyAll(aliceOn, forged, pinned, admins, "ops");
    expect("refused" in result).toBe(true);
  });
});

const NOW = 1_000_000;
const approval: PendingApproval = {
  id: "a-1",
  callId: "c-1",
  client: "cli",
  server: "virt",
  tool: "stop_vm",
  args: { vm_name: "dev-1" },
  rule: 'tools["stop_vm"]',
  reason: "needs a human",
  createdAt: NOW - 1_000,
  deadline: NOW + 60_000,
  callHash: "hash-1",
  team: { requester: "alice", othersOnly: true },
};
const offered = new Map([[approval.id, approval]]);

function answer(keys: MemberKeys, by: string, over: Partial<AnswerStatement> = {}) {
  return signStatement<AnswerStatement>(keys, {
    kind: "answer",
    team: "ops",
    by,
    to: "alice",
    at: NOW,
    approvalId: "a-1",
    callId: "c-1",
    callHash: "hash-1",
    answer: "approve",
    ...over,
  });
}

describe("teammates' answers", () => {
  it("a pinned teammate's fresh answer for exactly this call is taken", () => {
    expect(checkAnswer(answer(bob, "bob"), offered, new Set(), pinned, "ops", NOW)).toMatchObject({
      ok: true,
      by: "bob",
      answer: "approve",
    });
  });

  it.each([
    ["signed with another key", answer(carol, "bob"), "not that member's key"],
    ["for another call", answer(bob, "bob", { callId: "c-2" }), "for another call"],
    ["for other arguments", answer(bob, "bob", { callHash: "hash-2" }), "for another call"],
    ["for an approval not held here", answer(bob, "bob", { approvalId: "a-9" }), "no pending team approval"],
    ["too old", answer(bob, "bob", { at: NOW - 31_000 }), "not fresh"],
    ["from the future", answer(bob, "bob", { at: NOW + 6_000 }), "not fresh"],
    ["the requester approving its own call", answer(alice, "alice"), "someone other than alice"],
  ])("an answer %s is refused", (_name, signed, reason) => {
    const result = checkAnswer(signed, offered, new Set(), pinned, "ops", NOW);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it("an answer counts once", () => {
    const signed = answer(bob, "bob");
    const result = checkAnswer(signed, offered, new Set([signed.sig]), pinned, "ops", NOW);
    expect(!result.ok && result.reason).toContain("already used");
  });

  it("the requester may deny its own call", () => {
    expect(
      checkAnswer(answer(alice, "alice", { answer: "deny" }), offered, new Set(), pinned, "ops", NOW).ok,
    ).toBe(true);
  });

  it("a request must be signed by the member it names as holder", () => {
    const request = (keys: MemberKeys, by: string) =>
      signStatement<RequestStatement>(keys, { kind: "approval-request", team: "ops", by, at: NOW, approval });
    expect(checkRequest(request(alice, "alice"), pinned, "ops").ok).toBe(true);
    const byBob = checkRequest(request(bob, "bob"), pinned, "ops");
    expect(!byBob.ok && byBob.reason).toContain("held by someone else");
  });
});

describe("a member's key pair", () => {
  it("is made once in the data folder, user-only, and read back the same", () => {
    const dir = tempDir();
    const first = loadOrCreateKeys(dir);
    const again = loadOrCreateKeys(dir);
    expect(again.publicKey).toBe(first.publicKey);
    expect(first.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(`${dir}/team-key.pem`).mode & 0o777).toBe(0o600);
  });
});
