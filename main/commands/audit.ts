/**
 * `mcp-warden audit verify [--data-dir DIR | --file PATH]`: checks the audit log's chain and signatures and
 * reports each edit, deletion, insertion, reordering or truncation with its place; exit 0 when the log is
 * intact, 1 when anything is wrong (2 for a usage mistake).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { auditPaths, listSegments } from "../core/audit/files.js";
import { placeText, type VerifyReport, verifyAudit } from "../core/audit/verify.js";
import { dataPaths } from "../core/config/data-dir.js";
import { dataDirFrom, userError } from "./common.js";

/** The command as the CLI's help lists it. */
export const AUDIT = {
  name: "audit",
  summary: "verify the audit log: every record chained and signed, nothing edited, removed or added",
  positionals: [{ name: "verify", help: "check the whole log (rotated files too) and report what is wrong" }],
  options: {
    "data-dir": {
      type: "string",
      arg: "DIR",
      help: "the data folder whose audit log to check (default: the per-user one, or $MCP_WARDEN_HOME)",
    },
    file: {
      type: "string",
      arg: "PATH",
      help: "check one audit file alone (a copy, or a rotated .jsonl.gz) instead of a data folder's log",
    },
  },
  details: [
    "Each problem is printed with its file, line and sequence number; the exit code is 0 when the log is " +
      "intact and 1 when it is not. Records written before chaining are accepted and counted as unchained.",
  ],
} as const;

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** The report as the command prints it. */
export function formatReport(report: VerifyReport, what: string): string {
  const lines = [`verifying ${what}`];
  for (const p of report.problems) {
    lines.push(`${p.kind.toUpperCase()}: ${p.place ? `${placeText(p.place)}: ` : ""}${p.message}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  const files = `${count(report.files.length)} file${report.files.length === 1 ? "" : "s"}`;
  const range =
    report.firstSeq !== undefined && report.lastSeq !== undefined
      ? `, seq ${count(report.firstSeq)}–${count(report.lastSeq)}`
      : "";
  const signed =
    report.signedThrough !== undefined ? `, signed through seq ${count(report.signedThrough)}` : "";
  lines.push(
    report.ok
      ? `OK: ${count(report.records)} records in ${files}${range}${signed}`
      : `FAILED: ${count(report.problems.length)} problem${report.problems.length === 1 ? "" : "s"} in ${count(report.records)} records in ${files}`,
  );
  return `${lines.join("\n")}\n`;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { "data-dir": { type: "string" }, file: { type: "string" } },
      allowPositionals: true,
    });
  } catch (error) {
    throw userError(`audit: ${(error as Error).message}; see mcp-warden audit --help`);
  }
}

/** Runs `mcp-warden audit …`; returns the exit code. */
export async function auditCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals[0] !== "verify" || positionals.length > 1)
    throw userError(
      "audit: the one subcommand is verify: mcp-warden audit verify [--data-dir DIR | --file PATH]",
    );
  if (values.file !== undefined && values["data-dir"] !== undefined)
    throw userError("audit verify: give --data-dir or --file, not both");
  let report: VerifyReport;
  let what: string;
  if (values.file !== undefined) {
    const file = resolve(values.file);
    if (!existsSync(file)) throw userError(`audit verify: no such file: ${file}`);
    what = file;
    report = await verifyAudit({ file });
  } else {
    const active = dataPaths(dataDirFrom(values["data-dir"])).audit;
    if (!existsSync(active) && listSegments(auditPaths(active)).length === 0)
      throw userError(`audit verify: no audit log at ${active}`);
    what = `${active} and its rotated files`;
    report = await verifyAudit({ active });
  }
  out.write(formatReport(report, what));
  return report.ok ? 0 : 1;
}
