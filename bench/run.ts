/**
 * `npm run bench`: every benchmark in sequence, one table (or a few) per benchmark, then a summary of
 * the goals met and missed with the measured figures.
 *
 *   npm run bench                      build, then run everything (about 10 minutes)
 *   npx tsx bench/run.ts --quick       a smoke run: fewer calls and repeats, same code paths (about 1 minute)
 *   npx tsx bench/run.ts --only NAME   only the named benchmarks (comma-separated; see the list below)
 *   npx tsx bench/run.ts --compare PATH   also run the overhead paths through another build's cli.js (A/B)
 *   npx tsx bench/<name>.ts [--quick]  one benchmark alone
 */
import { parseArgs } from "node:util";
import { audit } from "./audit.js";
import { decisions } from "./decisions.js";
import { machine, machineLine } from "./lib/machine.js";
import { buildLine, builtCli } from "./lib/paths.js";
import type { Benchmark, BenchReport, Goal } from "./lib/report.js";
import { formatReport, formatTable, goalsTable } from "./lib/report.js";
import { num } from "./lib/stats.js";
import { memory } from "./memory.js";
import { overhead } from "./overhead.js";
import { ownCost } from "./own-cost.js";
import { profile } from "./profile.js";
import { startup } from "./startup.js";
import { team } from "./team.js";
import { throughput } from "./throughput.js";
import { ui } from "./ui.js";

const BENCHMARKS: Benchmark[] = [
  overhead,
  ownCost,
  profile,
  decisions,
  throughput,
  memory,
  startup,
  ui,
  audit,
  team,
];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    compare: { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(
    `usage: tsx bench/run.ts [--quick] [--only NAME[,NAME…]] [--compare PATH[,PATH…]]\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(11)} ${b.describe}`).join("\n")}\n`,
  );
  process.exit(0);
}
const only = values.only?.split(",").map((n) => n.trim());
const unknown = only?.filter((n) => !BENCHMARKS.some((b) => b.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(", ")}; one of: ${BENCHMARKS.map((b) => b.name).join(", ")}\n`,
  );
  process.exit(2);
}
const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));
const quick = values.quick === true;

const started = performance.now();
const args = process.argv.slice(2);
const command = `${process.env.BENCH_WARDEN_CLI ? `BENCH_WARDEN_CLI=${process.env.BENCH_WARDEN_CLI} ` : ""}npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`;
process.stdout.write(
  `# MCP Warden benchmarks${quick ? " (quick smoke run: figures are indicative only)" : ""}\n\n`,
);
builtCli();
process.stdout.write(
  `${machineLine(machine())}\n${buildLine()}\nCommand: ${command}; started ${new Date().toISOString()}.\n\n`,
);

const goals: Goal[] = [];
const failures: string[] = [];
for (const benchmark of selected) {
  const t0 = performance.now();
  process.stderr.write(`running ${benchmark.name}…\n`);
  let report: BenchReport;
  try {
    report = await benchmark.run({ quick, compareCli: values.compare });
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    failures.push(`${benchmark.name}: ${(error as Error).message}`);
    process.stdout.write(`## ${benchmark.describe}\n\nFAILED: ${message}\n\n`);
    continue;
  }
  process.stdout.write(`${formatReport(report)}- took ${num((performance.now() - t0) / 1000, 1)} s\n\n`);
  goals.push(...report.goals);
}

process.stdout.write(`## Summary\n\n${formatTable(goalsTable(goals))}\n\n`);
const met = goals.filter((g) => g.met === true).length;
const missed = goals.filter((g) => g.met === false).length;
process.stdout.write(
  `${met} goal${met === 1 ? "" : "s"} met, ${missed} missed, ${goals.length - met - missed} not measured${failures.length ? `; ${failures.length} benchmarks failed (${failures.join("; ")})` : ""}. Total ${num((performance.now() - started) / 1000, 1)} s. ${machineLine(machine()).replace(" at start.", " at the end.")}\n`,
);
process.exitCode = failures.length ? 1 : 0;
