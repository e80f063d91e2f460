/**
 * The official MCP conformance suite, run by scripts/conformance.mjs (which installs Node 22, the two suite
 * versions and the v2 SDK into its cache):
 * - server leg, both protocol eras: our reference server (test/fixtures/conformance-server.mjs) direct, and
 *   through the real `mcp-warden serve`;
 * - client leg, both eras: the suite's test servers with our client (test/fixtures/conformance-client.mjs:
 *   the v1 SDK's for 2025-11-25, the v2 SDK's pinned to 2026-07-28) direct, and with a `mcp-warden serve` in
 *   between (the warden is then the client the suite judges), the auth/* scenarios included (the warden
 *   signs in to the suite's authorization server).
 *
 * The rule: a scenario that passes direct passes through the warden, unless EXPECTED_FAILURES lists it with
 * its reason. An entry is allowed only where the direct run fails the same way, or where the reason is a
 * known gap of the warden that the proxy rewrite is fixing (`gap: …`, to be deleted once it passes). An
 * entry that no longer fails is reported, so the table never outlives what it describes.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const harness = join(root, "scripts", "conformance.mjs");
const resultFile = join(root, "test-output", "conformance.json");

/**
 * "<protocol version>/<scenario>" (server leg) or "<protocol version>/client/<scenario>" (client leg) → why it
 * may fail through the warden. Empty: every scenario passes through the warden wherever it passes direct, and
 * fails no other check where it fails direct. The scenarios the suite runs without scoring them (the tasks
 * extension, pending ones) count like the others.
 */
const EXPECTED_FAILURES: Record<string, string> = {};

/**
 * Scenarios our fixture does not pass direct, and why. Everything else must pass direct: otherwise the
 * comparison above would be vacuous for it.
 */
const OWN_OAUTH =
  "direct, the v2 SDK 2.4.0 client signs in with its own OAuth (`auth()` and the fixture's in-memory provider)";
const DIRECT_FAILURES: Record<string, string> = {
  "2026-07-28/client/sep-2322-client-request-state":
    "sep-2322-client-parallel-isolation: the v2 SDK's input_required driver retries at once, and the check wants an unrelated call between an answer and its retry (through the warden the same client fails the same way)",
  ...Object.fromEntries(
    ["metadata-default", "metadata-var1", "metadata-var2", "metadata-var3"].map((s) => [
      `2026-07-28/client/auth/${s}`,
      `${OWN_OAUTH}: its token request carries no resource parameter (RFC 8707)`,
    ]),
  ),
  ...Object.fromEntries(
    ["token-endpoint-auth-basic", "token-endpoint-auth-post", "token-endpoint-auth-none"].map((s) => [
      `2026-07-28/client/auth/${s}`,
      `${OWN_OAUTH}: no resource parameter in its token request, and not the token endpoint auth method the server asks for`,
    ]),
  ),
  "2026-07-28/client/auth/scope-step-up": `${OWN_OAUTH}: it makes no second authorization request on 403 insufficient_scope`,
  "2026-07-28/client/auth/pre-registration": `${OWN_OAUTH}: it does not present the pre-registered client's credentials`,
  "2026-07-28/client/auth/authorization-server-migration": `${OWN_OAUTH}: it does not register again when the authorization server changes`,
  "2026-07-28/client/auth/iss-supported": `${OWN_OAUTH}: it does not compare the authorization response's iss (RFC 9207)`,
  "2026-07-28/client/auth/iss-unexpected": `${OWN_OAUTH}: it accepts an iss the server did not advertise`,
};

interface Check {
  id: string;
  message: string;
}
interface Outcome {
  status: "pass" | "fail";
  passed: number;
  failed: number;
  warnings: number;
  failures: Check[];
}
interface ScenarioResult {
  notScored?: string;
  direct: Outcome | null;
  warden?: Outcome | null;
}
interface Era {
  leg: "server" | "client";
  protocol: string;
  suite: string;
  hung: { direct: string[]; warden: string[] };
  scenarios: Record<string, ScenarioResult>;
}
interface Result {
  skipped?: string;
  durationMs: number;
  eras: Record<string, Era>;
}

let result: Result | undefined;
let harnessOutput = "";

/** Every scenario of every run as "<protocol>/<scenario>" or "<protocol>/client/<scenario>". */
function rows(): { key: string; s: ScenarioResult }[] {
  return Object.values(result?.eras ?? {}).flatMap((era) =>
    Object.entries(era.scenarios).map(([name, s]) => ({
      key: era.leg === "client" ? `${era.protocol}/client/${name}` : `${era.protocol}/${name}`,
      s,
    })),
  );
}
const ids = (o: Outcome | null | undefined) => new Set((o?.failures ?? []).map((f) => f.id));
const describeFailures = (o: Outcome | null | undefined) =>
  (o?.failures ?? []).map((f) => `${f.id}: ${f.message.slice(0, 200)}`).join("; ") || "(no checks)";
/** The warden fails no check that the direct run passes. */
const failsLikeDirect = (s: ScenarioResult) =>
  s.direct?.status === "fail" && [...ids(s.warden)].every((id) => ids(s.direct).has(id));

describe("the MCP conformance suite, direct vs through mcp-warden serve (scripts/conformance.mjs)", () => {
  beforeAll(async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [harness, "--json", resultFile], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.on("data", (d: Buffer) => {
        harnessOutput += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        harnessOutput += d.toString();
      });
      child.once("close", resolve);
    });
    if ((code === 0 || code === 3) && existsSync(resultFile))
      result = JSON.parse(readFileSync(resultFile, "utf8")) as Result;
    else throw new Error(`scripts/conformance.mjs exited with ${code}:\n${harnessOutput.slice(-4000)}`);
    if (result.skipped) console.info(`test/conformance: skipped — ${result.skipped}`);
  }, 900_000);

  it("ran both legs in both eras, direct and through the warden", (ctx) => {
    if (result?.skipped) return ctx.skip(result.skipped);
    const runs = Object.values(result?.eras ?? {});
    expect(runs.map((e) => `${e.leg} ${e.protocol}`)).toEqual([
      "server 2025-11-25",
      "server 2026-07-28",
      "client 2025-11-25",
      "client 2026-07-28",
    ]);
    for (const run of runs) {
      expect(Object.keys(run.scenarios).length, `${run.leg} ${run.protocol} scenarios`).toBeGreaterThan(
        run.leg === "client" ? 3 : 25,
      );
      for (const [name, s] of Object.entries(run.scenarios))
        expect(s.warden, `${run.protocol}/${name} has no warden result`).toBeTruthy();
    }
  });

  it("the fixture passes every scenario direct, except the ones DIRECT_FAILURES lists", (ctx) => {
    if (result?.skipped) return ctx.skip(result.skipped);
    const unexpected = rows()
      .filter(({ key, s }) => s.direct?.status !== "pass" && !DIRECT_FAILURES[key])
      .map(({ key, s }) => `${key}: ${describeFailures(s.direct)}`);
    expect(unexpected, "scenarios failing direct (the fixture or the suite changed)").toEqual([]);
    const stale = Object.keys(DIRECT_FAILURES).filter(
      (key) => rows().find((r) => r.key === key)?.s.direct?.status === "pass",
    );
    expect(stale, "DIRECT_FAILURES entries that pass now: delete them").toEqual([]);
  });

  it("every scenario that passes direct passes through the warden, except the expected failures", (ctx) => {
    if (result?.skipped) return ctx.skip(result.skipped);
    const regressions = rows()
      .filter(({ key, s }) => s.warden?.status !== "pass" && !EXPECTED_FAILURES[key])
      .filter(({ s }) => s.direct?.status === "pass" || !failsLikeDirect(s))
      .map(({ key, s }) => `${key}: ${describeFailures(s.warden)}`);
    expect(regressions, "fail through the warden but not (or not that way) direct").toEqual([]);
  });

  it("every expected failure is a gap or fails direct the same way, and still fails", (ctx) => {
    if (result?.skipped) return ctx.skip(result.skipped);
    const problems: string[] = [];
    for (const [key, reason] of Object.entries(EXPECTED_FAILURES)) {
      const s = rows().find((r) => r.key === key)?.s;
      if (!s) problems.push(`${key}: the suite no longer runs this scenario — delete the entry`);
      else if (s.warden?.status === "pass")
        problems.push(`${key}: passes through the warden now — delete the entry`);
      else if (failsLikeDirect(s))
        problems.push(`${key}: fails exactly as direct now — the entry is not needed`);
      else if (!reason.startsWith("gap:"))
        problems.push(`${key}: passes direct (or fails differently) and "${reason}" is not a gap`);
    }
    expect(problems).toEqual([]);
  });
});
