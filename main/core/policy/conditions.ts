/** Argument conditions (`{path, op, value}`) and sub-rule matches, compiled to predicates. */
import type { Condition, Match } from "../../../shared/policy-schema.js";
import { canonicalJson } from "../canonical.js";

/** A compiled condition: says whether the arguments satisfy it, and how to describe it. */
export interface CompiledCondition {
  test(args: unknown): boolean;
  describe(): string;
}

/** Reads a dotted path ("config.memory_mb", "disks.0") out of a value; undefined where it leads nowhere. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** Compiles one condition; regexes are compiled here, once. */
export function compileCondition(c: Condition): CompiledCondition {
  const { path, op, value } = c;
  const shown = JSON.stringify(value);
  let test: (v: unknown) => boolean;
  switch (op) {
    case "eq":
      test = (v) => same(v, value);
      break;
    case "neq":
      test = (v) => !same(v, value);
      break;
    case "in":
      test = (v) => (value as unknown[]).some((x) => same(v, x));
      break;
    case "not_in":
      test = (v) => !(value as unknown[]).some((x) => same(v, x));
      break;
    case "lt":
      test = (v) => typeof v === "number" && v < (value as number);
      break;
    case "lte":
      test = (v) => typeof v === "number" && v <= (value as number);
      break;
    case "gt":
      test = (v) => typeof v === "number" && v > (value as number);
      break;
    case "gte":
      test = (v) => typeof v === "number" && v >= (value as number);
      break;
    case "regex": {
      const re = new RegExp(value as string, "u");
      test = (v) => typeof v === "string" && re.test(v);
      break;
    }
    case "contains":
      test = (v) =>
        typeof v === "string"
          ? typeof value === "string" && v.includes(value)
          : Array.isArray(v) && v.some((x) => same(x, value));
      break;
    case "exists": {
      const wanted = value === undefined ? true : value === true;
      test = (v) => (v !== undefined) === wanted;
      break;
    }
  }
  return {
    test: (args) => test(readPath(args, path)),
    describe: () => (op === "exists" && value !== false ? `${path} exists` : `${path} ${op} ${shown}`),
  };
}

/** Compiles a sub-rule's or operation's `match` into one predicate over the arguments. */
export function compileMatch(m: Match | undefined): (args: unknown) => boolean {
  if (m === undefined) return () => true;
  const conditions = Array.isArray(m)
    ? m.map(compileCondition)
    : Object.entries(m).map(([path, value]) => compileCondition({ path, op: "eq", value }));
  return (args) => conditions.every((c) => c.test(args));
}
