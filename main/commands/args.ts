/**
 * The CLI's commands described once: what each does, its arguments and options. The same description
 * parses the command line (node:util parseArgs underneath), prints `--help`, and words the errors: an
 * unknown option or a missing value is one line that points at the command's `--help`, never the parser's
 * own text.
 */
import { parseArgs } from "node:util";
import { userError } from "./common.js";

export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in the usage, e.g. `FILE`. */
  arg?: string;
  /** Shown in the usage line; the command itself says so when it is missing. */
  required?: boolean;
  /**
   * An option that would put a secret on the command line (readable by every local user in the process
   * list): refused, with this pointer to where the secret goes instead. Not shown in the help.
   */
  refused?: string;
  help: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  /** One line, for the top-level help. */
  summary: string;
  /** Positional arguments, as the usage line shows them (e.g. `<server>`), with what each is. */
  positionals?: readonly { name: string; help: string; optional?: boolean }[];
  options: O;
  /** Paragraphs printed after the options. */
  details?: readonly string[];
}

type ValueOf<S extends OptionSpec> = S["type"] extends "string" ? string : boolean;
export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]["multiple"] extends true ? ValueOf<O[K]>[] : ValueOf<O[K]>;
};

/** Declares a command (keeps the option types literal). */
export function command<const O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

const HELP: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

function flag(name: string, spec: OptionSpec): string {
  return `--${name}${spec.type === "string" ? ` ${spec.arg ?? "VALUE"}` : ""}`;
}

/** Help text wraps at this width; continuation lines are indented under their first line's text. */
const WIDTH = 100;

function wrapText(text: string, indent: number, first = indent): string[] {
  const lines: string[] = [];
  let line = "";
  let room = WIDTH - first;
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = WIDTH - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${" ".repeat(indent)}${l}`));
}

/** The options the help lists: all but the refused ones. */
function shownOptions(spec: CommandSpec): [string, OptionSpec][] {
  return Object.entries(spec.options).filter(([, o]) => o.refused === undefined);
}

/** `mcp-warden <name> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const required = shownOptions(spec)
    .filter(([, o]) => o.required)
    .map(([name, o]) => flag(name, o));
  const positionals = (spec.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : p.name));
  const more = Object.values(spec.options).some((o) => !o.required);
  const lines = [
    `usage: mcp-warden ${[spec.name, ...positionals, ...required].join(" ")}${more ? " [options]" : ""}`,
    "",
    ...wrapText(spec.summary, 0),
  ];
  const rows: [string, string][] = [
    ...(spec.positionals ?? []).map((p): [string, string] => [p.name, p.help]),
    ...shownOptions(spec).map(([name, o]): [string, string] => [
      `${o.short ? `-${o.short}, ` : ""}${flag(name, o)}`,
      `${o.help}${o.required ? " (required)" : ""}${o.multiple ? " (may be repeated)" : ""}`,
    ]),
    ["-h, --help", HELP.help],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 4;
  lines.push("", spec.positionals?.length ? "arguments and options:" : "options:");
  for (const [left, right] of rows) {
    const text = wrapText(right, width, width);
    lines.push(`  ${left.padEnd(width - 2)}${text.join("\n")}`);
  }
  for (const paragraph of spec.details ?? []) lines.push("", ...wrapText(paragraph, 0));
  return `${lines.join("\n")}\n`;
}

/** The top-level help: every command with its one line. */
export function topHelp(specs: readonly CommandSpec[], version: string): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 3;
  return [
    `mcp-warden ${version}: a local guard for AI agents' MCP tool calls`,
    "",
    "usage: mcp-warden <command> [options]",
    "",
    "commands:",
    ...specs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    "",
    "  mcp-warden <command> --help   that command's arguments and options",
    "  mcp-warden --version          the version",
    "",
  ].join("\n");
}

/** True when the arguments ask for the command's help (`--help` or `-h` as an option, not as a value). */
export function wantsHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...parserOptions(spec), help: { type: "boolean", short: "h" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((t) => t.kind === "option" && t.name === "help");
}

function parserOptions(spec: CommandSpec) {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = {
      type: o.type,
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.short ? { short: o.short } : {}),
    };
  }
  return options;
}

/**
 * Checks a command's options: an unknown option, a value missing or given to a flag is a user error of one
 * line ending in a pointer to `--help`. Returns the positional arguments.
 */
export function checkOptions(spec: CommandSpec, argv: readonly string[]): string[] {
  const fail = (problem: string): never => {
    throw userError(`${spec.name}: ${problem}; see mcp-warden ${spec.name} --help`);
  };
  const { tokens } = parseArgs({
    args: [...argv],
    options: parserOptions(spec),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const known = spec.options[token.name];
    if (!known) fail(`unknown option "${token.rawName}"`);
    else if (known.refused !== undefined)
      fail(
        `${token.rawName} would put a secret on the command line, where every local user can read it; ` +
          known.refused,
      );
    else if (known.type === "string") {
      if (token.value === undefined) fail(`${flag(token.name, known)} needs a value`);
      // `--port --demo`: the parser took the next option as the value.
      if (!token.inlineValue && token.value?.startsWith("-") && token.value.length > 1) {
        const next = token.value.replace(/^-+/, "").split("=")[0] ?? "";
        if (next in spec.options || next === "help" || next === "h")
          fail(`${flag(token.name, known)} needs a value`);
      }
    } else if (token.value !== undefined) fail(`--${token.name} takes no value`);
  }
  return positionals;
}

/**
 * Parses a command's arguments. Mistakes are user errors of one line ending in a pointer to `--help`:
 * an unknown option, a value missing or given to a flag, too many or too few arguments.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): { values: Values<O>; positionals: string[] } {
  const fail = (problem: string): never => {
    throw userError(`${spec.name}: ${problem}; see mcp-warden ${spec.name} --help`);
  };
  const positionals = checkOptions(spec, argv);
  const allowed = spec.positionals ?? [];
  const required = allowed.filter((p) => !p.optional).length;
  if (positionals.length > allowed.length) {
    const extra = positionals[allowed.length];
    fail(allowed.length ? `unexpected argument "${extra}"` : `takes no arguments, not "${extra}"`);
  }
  if (positionals.length < required) fail(`missing ${allowed[positionals.length]?.name ?? "an argument"}`);
  const { values } = parseArgs({
    args: [...argv],
    options: parserOptions(spec),
    strict: false,
    allowPositionals: true,
  });
  return { values: values as Values<O>, positionals };
}
