/** Team rules in the policy: a team-wide limit is decided on the team's Redis, never counted here. */
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../../main/core/policy/compile.js";
import { decide } from "../../../main/core/policy/decide.js";
import { RateLimiter } from "../../../main/core/policy/limits.js";
import { SEED_POLICY } from "../../helpers/warden.js";

function compiled(text: string) {
  const result = loadPolicy(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

const call = { server: "virt", tool: "stop_vm", args: {}, grant: "cli", session: "s" };

describe("team rules in a policy", () => {
  it("the seed's limit keeps its meaning: per grant, on this warden", () => {
    const decision = decide(compiled(SEED_POLICY), call, {
      denyAll: false,
      limits: new RateLimiter(),
      now: 0,
    });
    expect(decision.counterKeys).toEqual(["stop_vm_rate\u0000grant:cli"]);
    expect(decision.teamLimits).toBeUndefined();
  });

  it("a limit marked team is handed to the team, not checked or counted here", () => {
    const policy = compiled(
      JSON.stringify({
        version: "1",
        default: "deny",
        tools: {
          stop_vm: {
            limits: [
              { counter: "local", window: "minute", max: 5 },
              { counter: "shared", window: "hour", max: 0, scope: "server", team: true },
            ],
          },
        },
      }),
    );
    const decision = decide(policy, call, { denyAll: false, limits: new RateLimiter(), now: 0 });
    expect(decision.verdict).toBe("allow");
    expect(decision.counterKeys).toEqual(["local\u0000global"]);
    expect(decision.teamLimits?.map((t) => [t.key, t.limit.max])).toEqual([["shared\u0000server:virt", 0]]);
  });

  it("an approval offered to the team says whether someone else must answer", () => {
    const policy = compiled(
      JSON.stringify({
        version: "1",
        default: "deny",
        tools: { stop_vm: { action: "approve", approval: { team: true, others: true } } },
      }),
    );
    const decision = decide(policy, call, { denyAll: false, limits: new RateLimiter(), now: 0 });
    expect(decision).toMatchObject({
      verdict: "approve",
      teamApproval: { others: true },
      approvalTimeoutMs: 120_000,
    });
  });

  it("a misspelt team option is an error at its path", () => {
    const result = loadPolicy(
      JSON.stringify({ version: "1", default: "deny", tools: { x: { approval: { teams: true } } } }),
    );
    expect(!result.ok && result.errors[0]?.path).toBe("tools.x.approval");
  });
});
