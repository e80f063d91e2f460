/**
 * V8's heap for a process that runs for days. By default V8 lets the old space grow to up to four times what
 * survived the last full collection before it collects again, and keeps what it grew: a proxy whose live
 * heap is 20–35 MB (the call ring, a day of limit counters) reached 240 MB resident after 100,000 calls.
 * Growing the old space by half of what is live instead ended the same load at 165 MB, for a few more
 * (mostly concurrent) full collections (bench/memory.ts; the README has the numbers). The flag is read at each collection, so setting it once the process
 * runs works for every way the core is started (`serve`, the tray app); a value the user gave at launch
 * (on the command line or in NODE_OPTIONS) is left as it is.
 */
import { setFlagsFromString } from "node:v8";

/** The flags the core sets on its own heap, each unless the user set it. */
export const HEAP_FLAGS: readonly string[] = ["--heap-growing-percent=50"];

/**
 * Sets HEAP_FLAGS on this process's V8 (through `apply`), but not one named in `launch` (V8 reads `-` and
 * `_` in a flag's name alike); returns what it set.
 */
export function tuneHeap(
  launch: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)],
  apply: (flag: string) => void = setFlagsFromString,
): string[] {
  const nameOf = (arg: string) => (arg.split("=")[0] ?? "").replaceAll("_", "-");
  const given = new Set(launch.map(nameOf));
  const set = HEAP_FLAGS.filter((flag) => !given.has(nameOf(flag)));
  for (const flag of set) apply(flag);
  return set;
}
