/**
 * `verifyAudit` finds each kind of tampering and says where: an edit, a deletion, an insertion, a
 * reordering, a truncation, a forged checkpoint, a chain recomputed after an edit, a rotated file removed.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CallLog } from "../../../main/core/audit/call-log.js";
import { lineHash } from "../../../main/core/audit/chain.js";
import { type AuditProblem, verifyAudit } from "../../../main/core/audit/verify.js";
import { call, linesOf, logDir, rotated } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A closed log of 20 calls (decision + outcome each), a checkpoint every 8 lines. */
async function writtenLog(options: { maxFileBytes?: number } = {}): Promise<{ dir: string; path: string }> {
  const dir = logDir();
  dirs.push(dir);
  const path = join(dir, "audit.jsonl");
  const log = new CallLog(path, 100, { checkpointEvery: 8, ...options });
  await log.open(0);
  const now = Date.now();
  for (let i = 0; i < 20; i++) {
    log.decision(call(`c${i}`, now + i), []);
    log.outcome({ id: `c${i}`, ts: now + i, outcome: "ok" });
  }
  log.close();
  await log.settled();
  return { dir, path };
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").slice(0, -1);
}

function write(path: string, content: string[]): void {
  writeFileSync(path, `${content.join("\n")}\n`);
}

/** The 1-based line number of the line holding `text`. */
function lineOf(path: string, text: string): number {
  return lines(path).findIndex((l) => l.includes(text)) + 1;
}

function only(problems: AuditProblem[]): AuditProblem {
  expect(problems).toHaveLength(1);
  return problems[0] as AuditProblem;
}

describe("verify", () => {
  it("an untouched log is OK, chained and signed to its last line", async () => {
    const { path } = await writtenLog();
    const report = await verifyAudit({ active: path });
    expect(report).toMatchObject({ ok: true, problems: [], records: lines(path).length, unchained: 0 });
    expect(report.signedThrough).toBe(report.lastSeq);
  });

  it("an edited record is named by its line and seq", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = lineOf(path, '"id":"c7","ts"');
    all[at - 1] = (all[at - 1] as string).replace('"tool":"stop_vm"', '"tool":"list_vms"');
    write(path, all);
    const problem = only((await verifyAudit({ active: path })).problems);
    expect(problem).toMatchObject({ kind: "edited", place: { file: "audit.jsonl", line: at, seq: at } });
  });

  it("a deleted record is reported as the missing seq between its neighbours", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = lineOf(path, '"id":"c3","ts"');
    all.splice(at - 1, 1);
    write(path, all);
    const problem = only((await verifyAudit({ active: path })).problems);
    expect(problem.kind).toBe("deleted");
    expect(problem.message).toBe(
      `seq ${at} is missing between audit.jsonl line ${at - 1} (seq ${at - 1}) and audit.jsonl line ${at} (seq ${at + 1})`,
    );
  });

  it("an inserted line without chain fields, and a copied line, are insertions at their place", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = lineOf(path, '"id":"c5","ts"');
    all.splice(at, 0, JSON.stringify({ t: "decision", ...call("forged", 1), counterKeys: [] }));
    write(path, all);
    expect(only((await verifyAudit({ active: path })).problems)).toMatchObject({
      kind: "inserted",
      place: { line: at + 1 },
    });

    const { path: second } = await writtenLog();
    const copy = lines(second);
    const from = lineOf(second, '"id":"c9","ts"');
    copy.splice(from + 2, 0, copy[from - 1] as string);
    write(second, copy);
    const problem = only((await verifyAudit({ active: second })).problems);
    expect(problem).toMatchObject({ kind: "inserted", place: { line: from + 3, seq: from } });
    expect(problem.message).toMatch(/appears twice/);
  });

  it("two records swapped are a reordering at the second", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = lineOf(path, '"id":"c11","ts"');
    [all[at - 1], all[at]] = [all[at] as string, all[at - 1] as string];
    write(path, all);
    const problem = only((await verifyAudit({ active: path })).problems);
    expect(problem).toMatchObject({ kind: "reordered", place: { line: at + 1, seq: at } });
  });

  it("records cut off the end are a truncation, caught by the signed head file", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    write(path, all.slice(0, -5));
    const problem = only((await verifyAudit({ active: path })).problems);
    expect(problem.kind).toBe("truncated");
    expect(problem.message).toMatch(
      new RegExp(
        `ends at audit.jsonl line ${all.length - 5} \\(seq ${all.length - 5}\\), but seq ${all.length} was written`,
      ),
    );
  });

  it("a torn last line is a truncation at that line", async () => {
    const { path } = await writtenLog();
    appendFileSync(path, '{"seq":99,"prev":"ab');
    expect(only((await verifyAudit({ active: path })).problems)).toMatchObject({
      kind: "truncated",
      place: { line: lines(path).length + 1 },
    });
  });

  it("an edit with every hash after it recomputed is caught by the signed checkpoints", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = lineOf(path, '"id":"c2","ts"');
    all[at - 1] = (all[at - 1] as string).replace('"status":"allowed"', '"status":"denied"');
    for (let i = at; i < all.length; i++) {
      all[i] = (all[i] as string).replace(
        /"prev":"[0-9a-f]{64}"/,
        `"prev":"${lineHash(all[i - 1] as string)}"`,
      );
    }
    write(path, all);
    const problems = (await verifyAudit({ active: path })).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.kind === "forged" || p.kind === "edited")).toBe(true);
    expect(problems[0]).toMatchObject({ kind: "forged", place: { seq: 9 } });
  });

  it("a checkpoint with a wrong signature is forged", async () => {
    const { path } = await writtenLog();
    const all = lines(path);
    const at = all.findIndex((l) => l.includes('"t":"checkpoint"'));
    all[at] = (all[at] as string).replace(/"mac":"[0-9a-f]{4}/, '"mac":"0000');
    write(path, all);
    const problems = (await verifyAudit({ active: path })).problems;
    expect(problems.map((p) => p.kind)).toContain("forged");
    expect(problems.find((p) => p.kind === "forged")?.place).toMatchObject({ line: at + 1, seq: at + 1 });
  });

  it("a rotated file removed behind the warden's back is a missing file and missing records", async () => {
    const { dir, path } = await writtenLog({ maxFileBytes: 2_048 });
    const files = rotated(dir);
    expect(files.length).toBeGreaterThan(2);
    expect((await verifyAudit({ active: path })).ok).toBe(true);
    const removed = files[1] as string;
    const seqs = linesOf(join(dir, removed)).map((l) => (JSON.parse(l) as { seq: number }).seq);
    rmSync(join(dir, removed));
    const problems = (await verifyAudit({ active: path })).problems;
    expect(problems.map((p) => p.kind).sort()).toEqual(["deleted", "missing-file"]);
    expect(problems.find((p) => p.kind === "missing-file")?.message).toContain(removed.replace(/\.gz$/, ""));
    expect(problems.find((p) => p.kind === "deleted")?.message).toContain(
      `seq ${seqs[0]}–${seqs.at(-1)} are missing`,
    );
  });

  it("one file alone can be checked; it says it continues an earlier file", async () => {
    const { dir } = await writtenLog({ maxFileBytes: 2_048 });
    const report = await verifyAudit({ file: join(dir, rotated(dir)[1] as string) });
    expect(report.problems).toEqual([]);
    expect(report.notes.join("\n")).toMatch(/continuing an earlier file/);
  });
});
