/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`): self and inclusive time per function, and time per
 * package, for the samples inside a time window. Bundled files (dist/cli.js, the echo server's bundle) are
 * read through their source maps, so functions are named by their original source and package.
 *
 * "By package" charges each sample to the nearest frame on its stack that belongs to a package or to our
 * source: the time Node spends writing a socket for hono's response adapter counts as hono's, a
 * `writeSync` under our audit log counts as mcp-warden's. Samples with no such frame (the event loop
 * itself) count as Node's.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a .cpuprofile this reader uses. */
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Time per function or package, in microseconds. */
export interface ProfileSummary {
  /** Sampled time inside the window, idle excluded. */
  busyUs: number;
  selfByFunction: Map<string, number>;
  /** The package each function key belongs to. */
  packageOfFunction: Map<string, string>;
  /** Each sample charged to the nearest package frame on its stack (see the file comment). */
  byPackage: Map<string, number>;
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusiveByFunction: Map<string, number>;
}

/** The package name given to mcp-warden's own source. */
const OURS = "mcp-warden (main/core, shared)";

/** The newest .cpuprofile in a folder. */
export function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  files.sort();
  const last = files[files.length - 1];
  return last ? join(dir, last) : undefined;
}

/** Node's own parts, by script. */
function nodePart(url: string): string {
  if (url.includes("internal/deps/undici")) return "node: undici (fetch, Request, Response)";
  if (url.includes("internal/webstreams")) return "node: web streams";
  if (/node:(_http|http|internal\/http)/.test(url)) return "node: http";
  if (/node:(net|internal\/stream_base|internal\/net)/.test(url)) return "node: net";
  if (/node:(fs|internal\/fs)/.test(url)) return "node: fs";
  if (/node:(stream|internal\/streams)/.test(url)) return "node: streams";
  if (/node:(events|internal\/event_target)/.test(url)) return "node: events";
  if (/node:internal\/(process\/task_queues|timers)|node:timers/.test(url))
    return "node: task queues, timers";
  return "node: other";
}

/**
 * A source's package: an npm package, our source, or the benchmarks' own code. Bundles run from a copy in
 * a temporary folder, so their source maps' relative paths ("../main/core/warden.ts") are read as they are.
 */
function packageOfSource(source: string): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist\/(?:esm|cjs)\/)?(.*)$/.exec(source);
  // The SDK by its published file, whether read directly or through a bundle's chained source map.
  if (pkg?.[1] === "@modelcontextprotocol/sdk")
    return `MCP SDK ${pkg[2]?.replace(/^src\//, "").replace(/\.ts$/, ".js")}`;
  if (pkg?.[1]) return pkg[1];
  const inRepo = shownSource(source);
  if (/^(main\/core|shared)\/|^main\/cli\.ts$/.test(inRepo)) return OURS;
  if (/(^|\/)bench\//.test(inRepo)) return "benchmark code (bench/)";
  return undefined;
}

/** How a source is shown: from its package, or from the repository's root. */
function shownSource(source: string): string {
  const pkg = /node_modules\/(.*)$/.exec(source);
  if (pkg?.[1]) return pkg[1].replace(/dist\/(esm|cjs)\//, "");
  return source.startsWith(repoRoot) ? source.slice(repoRoot.length) : source.replace(/^(\.\.\/)+/, "");
}

interface Resolved {
  key: string;
  /** A package or our source; undefined for Node's own scripts and natives. */
  owner: string | undefined;
  /** What the frame itself is: the owner, or a part of Node, or a native. */
  part: string;
}

/** Resolves frames to names and packages, reading bundles through their source maps. */
function frameResolver(): (frame: CallFrame) => Resolved {
  const maps = new Map<string, SourceMap | undefined>();
  // Only our bundles: packages keep their published file names, however they are loaded.
  const mapOf = (path: string) => {
    if (path.includes("/node_modules/")) return undefined;
    if (!maps.has(path)) {
      const file = `${path}.map`;
      maps.set(path, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, "utf8"))) : undefined);
    }
    return maps.get(path);
  };
  return (frame) => {
    const name = frame.functionName || "(anonymous)";
    if (frame.functionName === "(idle)" || frame.functionName === "(root)")
      return { key: name, owner: undefined, part: name };
    if (!frame.url) {
      if (frame.functionName === "(garbage collector)")
        return { key: name, owner: undefined, part: "V8 garbage collector" };
      if (frame.functionName === "(program)")
        return { key: name, owner: undefined, part: "(program): native, outside JS" };
      return { key: `${name} (native)`, owner: undefined, part: "natives (syscalls, V8 builtins)" };
    }
    if (frame.url.startsWith("node:")) {
      return {
        key: `${name} ${frame.url}:${frame.lineNumber + 1}`,
        owner: undefined,
        part: nodePart(frame.url),
      };
    }
    const path = frame.url.replace(/^file:\/\//, "");
    const entry = mapOf(path)?.findEntry(frame.lineNumber, frame.columnNumber) as
      | { originalSource?: string; originalLine?: number }
      | undefined;
    const source = entry?.originalSource ?? path;
    const line = entry?.originalSource ? (entry.originalLine ?? 0) + 1 : frame.lineNumber + 1;
    const owner = packageOfSource(source) ?? source;
    return { key: `${name} ${shownSource(source)}:${line}`, owner, part: owner };
  };
}

/** Self, inclusive and per-package time of the samples taken between `fromUs` and `toUs` (monotonic µs). */
export function summarizeProfile(file: string, fromUs = 0, toUs = Number.POSITIVE_INFINITY): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const resolve = frameResolver();
  const resolved = new Map<number, Resolved>(profile.nodes.map((n) => [n.id, resolve(n.callFrame)]));

  const summary: ProfileSummary = {
    busyUs: 0,
    selfByFunction: new Map(),
    packageOfFunction: new Map(),
    byPackage: new Map(),
    inclusiveByFunction: new Map(),
  };
  const add = (map: Map<string, number>, k: string, us: number) => map.set(k, (map.get(k) ?? 0) + us);
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => {
    t += d;
    return t;
  });
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const at = times[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const us = (times[i + 1] ?? at) - at;
    const id = profile.samples[i] ?? 0;
    const leaf = resolved.get(id);
    if (!leaf || leaf.key === "(idle)") continue;
    summary.busyUs += us;
    add(summary.selfByFunction, leaf.key, us);
    summary.packageOfFunction.set(leaf.key, leaf.part);
    let owner: string | undefined;
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = resolved.get(n);
      if (!frame || frame.key === "(root)") continue;
      owner ??= frame.owner;
      if (seen.has(frame.key)) continue;
      seen.add(frame.key);
      add(summary.inclusiveByFunction, frame.key, us);
    }
    add(summary.byPackage, owner ?? leaf.part, us);
  }
  return summary;
}

/** The `n` largest entries of a map, largest first. */
export function top(map: ReadonlyMap<string, number>, n: number): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}
