/**
 * The official MCP conformance suite, run by scripts/conformance.mjs (which installs Node 22, the two suite
 * versions and the v2 SDK into its cache):
 * - server leg, both protocol eras: our reference server (test/fixtures/conformance-server.mjs) direct, and
 *   through the real `mcp-warden serve`;
 * - client leg, 2025-11-25: the suite's test servers with our client (test/fixtures/conformance-client.mjs)
 *   direct, and with a `mcp-warden serve` in between (the warden is then the client the suite judges).
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

const ERA_GAP =
  "gap: the warden serves only the 2025-11-25 era: a 2026-07-28 request (no initialize, no Mcp-Session-Id, " +
  "server/discover, per-request _meta) is refused with HTTP 400, -32000 and id null";

/**
 * "<protocol version>/<scenario>" (server leg) or "<protocol version>/client/<scenario>" (client leg) → why it
 * may fail through the warden.
 */
const EXPECTED_FAILURES: Record<string, string> = {
  "2026-07-28/server-stateless": ERA_GAP,
  "2026-07-28/completion-complete": ERA_GAP,
  "2026-07-28/tools-list": ERA_GAP,
  "2026-07-28/tools-call-simple-text": ERA_GAP,
  "2026-07-28/tools-call-image": ERA_GAP,
  "2026-07-28/tools-call-audio": ERA_GAP,
  "2026-07-28/tools-call-embedded-resource": ERA_GAP,
  "2026-07-28/tools-call-mixed-content": ERA_GAP,
  "2026-07-28/tools-call-error": ERA_GAP,
  "2026-07-28/tools-call-with-progress": ERA_GAP,
  "2026-07-28/server-sse-multiple-streams": ERA_GAP,
  "2026-07-28/resources-list": ERA_GAP,
  "2026-07-28/resources-read-text": ERA_GAP,
  "2026-07-28/resources-read-binary": ERA_GAP,
  "2026-07-28/resources-templates-read": ERA_GAP,
  "2026-07-28/sep-2164-resource-not-found": ERA_GAP,
  "2026-07-28/prompts-list": ERA_GAP,
  "2026-07-28/prompts-get-simple": ERA_GAP,
  "2026-07-28/prompts-get-with-args": ERA_GAP,
  "2026-07-28/prompts-get-embedded-resource": ERA_GAP,
  "2026-07-28/prompts-get-with-image": ERA_GAP,
  "2026-07-28/dns-rebinding-protection": `${ERA_GAP} (the foreign Host is refused; the valid one gets that 400)`,
  "2026-07-28/caching": ERA_GAP,
  "2026-07-28/input-required-result-basic-elicitation": ERA_GAP,
  "2026-07-28/input-required-result-basic-sampling": ERA_GAP,
  "2026-07-28/input-required-result-basic-list-roots": ERA_GAP,
  "2026-07-28/input-required-result-request-state": ERA_GAP,
  "2026-07-28/input-required-result-multiple-input-requests": ERA_GAP,
  "2026-07-28/input-required-result-multi-round": ERA_GAP,
  "2026-07-28/input-required-result-missing-input-response": ERA_GAP,
  "2026-07-28/input-required-result-non-tool-request": ERA_GAP,
  "2026-07-28/input-required-result-result-type": ERA_GAP,
  "2026-07-28/input-required-result-unsupported-methods": ERA_GAP,
  "2026-07-28/input-required-result-tampered-state": ERA_GAP,
  "2026-07-28/input-required-result-capability-check": ERA_GAP,
  "2026-07-28/input-required-result-ignore-extra-params": ERA_GAP,
  // Not scored for 2026-07-28 (pending), but they pass direct:
  "2026-07-28/json-schema-2020-12": ERA_GAP,
  "2026-07-28/http-header-validation": ERA_GAP,
  "2026-07-28/http-custom-header-server-validation": ERA_GAP,
  // The tasks extension (not scored): the fixture does not implement it, so these fail direct as well; through
  // the warden they fail earlier and in more checks, for the era reason.
  "2026-07-28/tasks-lifecycle": ERA_GAP,
  "2026-07-28/tasks-capability-negotiation": ERA_GAP,
  "2026-07-28/tasks-wire-fields": ERA_GAP,
  "2026-07-28/tasks-request-state-removal": ERA_GAP,
  "2026-07-28/tasks-mrtr-input": ERA_GAP,
  "2026-07-28/tasks-request-headers": ERA_GAP,
  "2026-07-28/tasks-dispatch-and-envelope": ERA_GAP,
  "2026-07-28/tasks-required-task-error": ERA_GAP,
  "2026-07-28/tasks-mrtr-composition": ERA_GAP,
};

/**
 * Scenarios our fixture does not pass direct, and why. Everything else must pass direct: otherwise the
 * comparison above would be vacuous for it.
 */
const DIRECT_FAILURES: Record<string, string> = {
  ...Object.fromEntries(
    [
      "tasks-lifecycle",
      "tasks-capability-negotiation",
      "tasks-wire-fields",
      "tasks-request-state-removal",
      "tasks-mrtr-input",
      "tasks-request-headers",
      "tasks-dispatch-and-envelope",
      "tasks-required-task-error",
      "tasks-mrtr-composition",
    ].map((s) => [
      `2026-07-28/${s}`,
      "the io.modelcontextprotocol/tasks extension (SEP-2663, not scored): the fixture does not implement it",
    ]),
  ),
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
  }, 480_000);

  it("ran both eras (server leg) and the 2025-11-25 client leg, direct and through the warden", (ctx) => {
    if (result?.skipped) return ctx.skip(result.skipped);
    const runs = Object.values(result?.eras ?? {});
    expect(runs.map((e) => `${e.leg} ${e.protocol}`)).toEqual([
      "server 2025-11-25",
      "server 2026-07-28",
      "client 2025-11-25",
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
