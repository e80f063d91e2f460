/**
 * What a benchmark hands back (tables, goals, notes) and how it is printed. Tables print as Markdown,
 * so the output reads in a terminal and pastes into the README as it is.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { machine, machineLine } from "./machine.js";
import { buildLine, builtCli } from "./paths.js";

/** A table of figures. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Columns aligned left; the default is the first only (figures align right). */
  leftColumns?: number;
}

/** A goal from the issue and whether this run met it. */
export interface Goal {
  benchmark: string;
  goal: string;
  measured: string;
  /** undefined when the benchmark could not measure it (skipped). */
  met: boolean | undefined;
}

/** One benchmark's results. */
export interface BenchReport {
  name: string;
  tables: Table[];
  goals: Goal[];
  notes: string[];
}

/** How a benchmark is asked to run. */
export interface BenchOptions {
  /** A fast smoke run: fewer calls and repeats, same code paths. */
  quick: boolean;
  /** Other builds of dist/cli.js (comma-separated) to measure beside the one under test (overhead, start-up). */
  compareCli?: string | undefined;
}

/** A benchmark: what `bench/run.ts` runs in sequence. */
export interface Benchmark {
  name: string;
  describe: string;
  run(options: BenchOptions): Promise<BenchReport>;
}

/** A Markdown table. */
export function formatTable(table: Table): string {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)),
  );
  const left = table.leftColumns ?? 1;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i < left ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [`**${table.title}**`, "", line(table.headers), rule, ...table.rows.map(line)].join("\n");
}

/** A benchmark's report as text. */
export function formatReport(report: BenchReport): string {
  const parts = report.tables.map(formatTable);
  if (report.notes.length) parts.push(report.notes.map((n) => `- ${n}`).join("\n"));
  return `## ${report.name}\n\n${parts.join("\n\n")}\n`;
}

/** The goals table. */
export function goalsTable(goals: readonly Goal[]): Table {
  return {
    title: "Goals",
    headers: ["benchmark", "goal", "measured", "result"],
    leftColumns: 4,
    rows: goals.map((g) => [
      g.benchmark,
      g.goal,
      g.measured,
      g.met === undefined ? "not measured" : g.met ? "met" : "MISSED",
    ]),
  };
}

/** Runs a benchmark when its file is the one node was started with (`npx tsx bench/<name>.ts`). */
export async function runIfMain(moduleUrl: string, benchmark: Benchmark): Promise<void> {
  const entry = process.argv[1];
  if (!entry || pathToFileURL(resolve(entry)).href !== moduleUrl) return;
  builtCli();
  process.stdout.write(`# ${benchmark.describe}\n\n${machineLine(machine())}\n${buildLine()}\n\n`);
  const compare = process.argv.indexOf("--compare");
  const report = await benchmark.run({
    quick: process.argv.includes("--quick"),
    compareCli: compare > 0 ? process.argv[compare + 1] : undefined,
  });
  process.stdout.write(`${formatReport(report)}\n${formatTable(goalsTable(report.goals))}\n`);
}
