/** The machine a run was made on, recorded beside its figures. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/** What the figures depend on. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  os: string;
  sdk: string;
  loadavg: number[];
}

function sdkVersion(): string {
  try {
    const file = join(repoRoot, "node_modules", "@modelcontextprotocol", "sdk", "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** This machine, now. */
export function machine(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "?",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    sdk: sdkVersion(),
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One line describing the machine. */
export function machineLine(m: Machine): string {
  return `Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGb} GB, ${m.os}; Node ${m.node}; MCP SDK ${m.sdk}; load average ${m.loadavg.join(" ")} at start.`;
}
