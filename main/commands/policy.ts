/**
 * `mcp-warden check <policy.json>` and `mcp-warden decide --policy FILE --tool NAME`: the policy file
 * checked as the warden would load it, and one call decided by it, worded for a person (or as JSON).
 */
import { readFileSync } from "node:fs";
import { VERDICT_WORDS } from "../../shared/approval-text.js";
import type { Decision } from "../../shared/contract.js";
import { formatMs } from "../../shared/durations.js";
import type { CompiledLimit } from "../core/policy/compile.js";
import { loadPolicy } from "../core/policy/compile.js";
import { counterKey, decide, findRule, type PolicyCall } from "../core/policy/decide.js";
import { RateLimiter } from "../core/policy/limits.js";
import { command, parseCommand } from "./args.js";
import { userError } from "./common.js";

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw userError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Where strict JSON text first goes wrong, and how: line and column count from 1. */
export function jsonSyntaxError(text: string): { line: number; column: number; message: string } | undefined {
  let pos = 0;
  const at = (message: string): never => {
    throw Object.assign(new Error(message), { pos });
  };
  const ws = () => {
    while (pos < text.length && " \t\n\r".includes(text[pos] as string)) pos++;
  };
  const describe = () => {
    if (pos >= text.length) return "the file ends";
    const c = text.codePointAt(pos) as number;
    if (c < 0x20 || c === 0xfeff) return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
    return `"${String.fromCodePoint(c)}"${c === 0x2f ? " (JSON has no comments)" : ""}`;
  };
  const string = () => {
    pos++; // the opening quote
    for (;;) {
      if (pos >= text.length) at("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        return;
      }
      if (c < 0x20) at("a control character (a raw line break or tab?) inside a string");
      if (c === 0x5c) {
        const e = text[pos + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) at("invalid \\u escape");
          pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) at(`invalid escape "\\${e ?? ""}"`);
        pos += 2;
        continue;
      }
      pos++;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    const c = text[pos];
    if (c === "{") {
      pos++;
      ws();
      if (text[pos] === "}") {
        pos++;
        return;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"')
          at(
            `expected a property name in double quotes, found ${describe()}${text[pos] === "}" ? " (a trailing comma?)" : ""}`,
          );
        string();
        ws();
        if (text[pos] !== ":") at(`expected ":" after the property name, found ${describe()}`);
        pos++;
        value();
        ws();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return;
        }
        at(`expected "," or "}", found ${describe()}`);
      }
    }
    if (c === "[") {
      pos++;
      ws();
      if (text[pos] === "]") {
        pos++;
        return;
      }
      for (;;) {
        ws();
        if (text[pos] === "]") at('expected a value, found "]" (a trailing comma?)');
        value();
        ws();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return;
        }
        at(`expected "," or "]", found ${describe()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return;
      }
    }
    NUMBER.lastIndex = pos;
    const m = c === "-" || (c !== undefined && c >= "0" && c <= "9") ? NUMBER.exec(text) : null;
    if (m) {
      pos += m[0].length;
      return;
    }
    at(`expected a value, found ${describe()}`);
  };
  try {
    if (text.trim() === "") at("the file is empty");
    value();
    ws();
    if (pos < text.length) at(`unexpected ${describe()} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    const where = (error as { pos?: number }).pos ?? 0;
    const before = text.slice(0, where);
    const line = before.split("\n").length;
    const column = where - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column, message: (error as Error).message };
  }
}

export const CHECK = command({
  name: "check",
  summary: "check a policy file: JSON syntax (with line and column) and the policy format",
  positionals: [{ name: "<policy.json>", help: "the policy file to check" }],
  options: {},
  details: [
    "Prints FILE: valid and exits 0, or one line per problem (FILE:LINE:COLUMN for a JSON syntax error, " +
      "FILE: PATH: PROBLEM for the policy format) and exits 1. mcp-warden schema prints the format.",
  ],
});

export function checkCommand(argv: string[]): number {
  const { positionals } = parseCommand(CHECK, argv);
  const file = positionals[0] as string;
  const text = readText(file, "policy file");
  const syntax = jsonSyntaxError(text);
  if (syntax) {
    process.stdout.write(`${file}:${syntax.line}:${syntax.column}: not valid JSON: ${syntax.message}\n`);
    return 1;
  }
  const result = loadPolicy(text);
  if (result.ok) {
    process.stdout.write(`${file}: valid\n`);
    return 0;
  }
  for (const e of result.errors) process.stdout.write(`${file}: ${e.path}: ${e.message}\n`);
  return 1;
}

export const DECIDE = command({
  name: "decide",
  summary: "show what a policy decides for one tool call, and which rule and limits apply",
  options: {
    policy: { type: "string", arg: "FILE", help: "the policy file", required: true },
    tool: { type: "string", arg: "NAME", help: "the tool called", required: true },
    server: { type: "string", arg: "NAME", help: 'the server it is called on (default "default")' },
    client: { type: "string", arg: "NAME", help: 'the client\'s grant name (default "cli")' },
    args: { type: "string", arg: "JSON", help: "the call's arguments, a JSON object (default {})" },
    json: { type: "boolean", help: "print the decision as JSON" },
  },
  details: [
    "Counters start empty: decide does not see a running warden's counts, so each limit shows its full " +
      "allowance.",
  ],
});

interface LimitLeft {
  counter: string;
  window: string;
  max: number;
  scope: string;
  left: number;
}

function describeLimit(limit: LimitLeft): string {
  const per = limit.scope === "global" ? "" : ` per ${limit.scope}`;
  return `limit ${limit.counter}: ${limit.max} per ${limit.window}${per}, ${limit.left} left`;
}

/** The decision in words: the verdict first, with what bounds it, then the rule and the reason. */
function describeDecision(decision: Decision, limits: readonly LimitLeft[]): string {
  const bounds = limits.map(describeLimit);
  let head: string;
  if (decision.verdict === "deny") head = `${VERDICT_WORDS.deny}: ${decision.reason}`;
  else if (decision.verdict === "approve") {
    const wait = decision.approvalTimeoutMs
      ? [`denied without an answer in ${formatMs(decision.approvalTimeoutMs)}`]
      : [];
    const notes = [...wait, ...bounds];
    head = `${VERDICT_WORDS.approve}${notes.length ? ` (${notes.join("; ")})` : ""}`;
  } else head = bounds.length ? `${VERDICT_WORDS.allow} (${bounds.join("; ")})` : VERDICT_WORDS.allow;
  const lines = [head, `  rule:      ${decision.rule}`];
  if (decision.operation) lines.push(`  operation: ${decision.operation}`);
  if (decision.verdict !== "deny") lines.push(`  reason:    ${decision.reason}`);
  return `${lines.join("\n")}\n`;
}

export function decideCommand(argv: string[]): number {
  const { values } = parseCommand(DECIDE, argv);
  if (!values.policy || !values.tool)
    throw userError("decide needs --policy FILE and --tool NAME; see mcp-warden decide --help");
  const text = readText(values.policy, "policy file");
  const syntax = jsonSyntaxError(text);
  if (syntax)
    throw userError(
      `policy ${values.policy}:${syntax.line}:${syntax.column} is not valid JSON: ${syntax.message}`,
    );
  const compiled = loadPolicy(text);
  if (!compiled.ok) {
    throw userError(
      `policy ${values.policy} is invalid: ${compiled.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    );
  }
  let args: unknown = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch (error) {
      throw userError(`--args is not JSON: ${(error as Error).message}`);
    }
  }
  if (typeof args !== "object" || args === null || Array.isArray(args))
    throw userError("--args must be a JSON object");
  const call: PolicyCall = {
    server: values.server ?? "default",
    tool: values.tool,
    args: args as Record<string, unknown>,
    grant: values.client ?? "cli",
    session: "cli",
  };
  const limiter = new RateLimiter();
  const now = Date.now();
  const {
    counterKeys: _keys,
    counted: _counted,
    ...decision
  } = decide(compiled.policy, call, {
    denyAll: false,
    limits: limiter,
    now,
  });
  const limits: LimitLeft[] =
    decision.verdict === "deny"
      ? []
      : findRule(compiled.policy, call.server, call.tool, call.args).rule.limits.map(
          (limit: CompiledLimit) => ({
            counter: limit.counter,
            window: limit.window,
            max: limit.max,
            scope: limit.scope,
            left: Math.max(0, limit.max - limiter.count(counterKey(limit, call), limit.windowMs, now)),
          }),
        );
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...decision, ...(limits.length ? { limits } : {}) }, null, 2)}\n`
      : describeDecision(decision, limits),
  );
  return 0;
}
