/**
 * The risk of a tool call: what kind of thing it does (read, write, execute, destructive), how bad a
 * mistake would be (low, medium, high, critical) and a one-line why.
 *
 * - sandraschi/virtualization-mcp's tools come from a catalogue (source "catalogue"), per action for its
 *   portmanteau tools (`vm_management {action: "stop"}`), so one tool can hold a harmless `list` and a
 *   critical `delete`. Its testing-mode tools (`stop_vm`, …) share the entry of the action they perform.
 * - Any other tool is inferred (source "inferred") from its name, its description and its MCP annotations;
 *   a tool with an `action` or `operation` enum is inferred per action, from the action's name.
 *
 * Inference trusts nothing that lowers risk on its own, because a server writes both its tool names and its
 * annotations:
 * - the name gives the kind: `delete`, `drop`, `wipe`… destroy for good (critical); `stop`, `kill`,
 *   `reset`… destroy what can be redone (high); `exec`, `run`, `eval`… execute (high); `create`, `write`,
 *   `send`… write (medium); `list`, `get`, `read`… read.
 * - A read-looking name is low only when the server also declares `readOnlyHint: true`. Without that
 *   declaration the MCP default applies (a tool may change things), so it is medium.
 * - A name that says nothing is destructive and high: the MCP default for a tool without annotations.
 * - Hints only tighten: `destructiveHint: true` makes a tool destructive (high at least), `readOnlyHint:
 *   false` makes a read-looking tool a write, `openWorldHint: true` raises a non-read to high. Hints that
 *   would relax (`readOnlyHint` on a tool named delete_x, `destructiveHint: false`, `idempotentHint: true`,
 *   `openWorldHint: false`) change nothing; `idempotentHint: false` is the default assumption already.
 * - A description that speaks of deleting, wiping or running commands raises the risk, never lowers it.
 */
import {
  type CallTarget,
  RISK_KINDS,
  RISK_LEVELS,
  type Risk,
  type RiskKind,
  type RiskLevel,
} from "../../../shared/contract.js";
import { VIRTUALIZATION_OPERATIONS } from "./operations.js";

export { RISK_KINDS, RISK_LEVELS, type Risk, type RiskKind, type RiskLevel };

/** The parts of an MCP tool definition risk is read from (an SDK `Tool` fits). */
export interface RiskTool {
  name: string;
  description?: string;
  annotations?: Readonly<Record<string, unknown>>;
  inputSchema?: { properties?: Readonly<Record<string, unknown>> };
}

/** A tool's risks: overall (its worst action) and, for a portmanteau tool, per action. */
export interface ToolRisks {
  /** The worst of the actions, or the tool's own risk. */
  risk: Risk;
  /** The argument that picks the action (`action`, or `operation` for proxmox_management). */
  argument?: string;
  /** Each action's risk, in the order the tool lists them. */
  actions?: Readonly<Record<string, Risk>>;
}

/** Kind, level, why, and the effect in words (`{argument}` stands for what the call acts on). */
type Entry = readonly [RiskKind, RiskLevel, string, string];

/** virtualization-mcp's portmanteau tools: the argument that picks the action, and each action's risk. */
const VIRTUALIZATION_CATALOGUE: Readonly<
  Record<string, { argument: string; actions: Readonly<Record<string, Entry>> }>
> = {
  info_tools: {
    argument: "action",
    actions: {
      list_tools: ["read", "low", "Lists the server's own tools.", "List the server's tools"],
      tool_info: ["read", "low", "Describes one of the server's tools.", "Describe tool {tool_name}"],
      tool_schema: ["read", "low", "Shows a tool's input schema.", "Show the schema of tool {tool_name}"],
      help: ["read", "low", "Shows the server's help text.", "Show the server's help"],
    },
  },
  vm_management: {
    argument: "action",
    actions: {
      list: ["read", "low", "Lists VMs and their states; changes nothing.", "List VMs"],
      info: ["read", "low", "Reads one VM's configuration and state.", "Read VM {vm_name}"],
      create: [
        "write",
        "medium",
        "Creates a VM: uses host memory and disk, and can be deleted again.",
        "Create VM {vm_name}",
      ],
      start: [
        "write",
        "medium",
        "Starts a VM: uses host resources; it can be stopped again.",
        "Start VM {vm_name}",
      ],
      stop: [
        "destructive",
        "high",
        "Stops a VM: its services go offline; a forced stop loses unsaved data.",
        "Stop VM {vm_name}",
      ],
      delete: ["destructive", "critical", "Deletes a VM and its disks for good.", "Delete VM {vm_name}"],
      clone: [
        "write",
        "medium",
        "Copies a VM and its disks: uses host disk space.",
        "Clone VM {source_vm} as {new_vm_name}",
      ],
      reset: [
        "destructive",
        "high",
        "Hard-reboots a VM: unsaved guest data is lost, services drop.",
        "Hard-reset VM {vm_name}",
      ],
      pause: [
        "write",
        "medium",
        "Freezes a VM: its services stop answering until it is resumed.",
        "Pause VM {vm_name}",
      ],
      resume: ["write", "medium", "Resumes a paused VM.", "Resume VM {vm_name}"],
    },
  },
  hyperv_management: {
    argument: "action",
    actions: {
      list: ["read", "low", "Lists Hyper-V VMs; changes nothing.", "List Hyper-V VMs"],
      get: ["read", "low", "Reads one Hyper-V VM's state.", "Read Hyper-V VM {vm_name}"],
      start: [
        "write",
        "medium",
        "Starts a Hyper-V VM: uses host resources; it can be stopped again.",
        "Start Hyper-V VM {vm_name}",
      ],
      stop: [
        "destructive",
        "high",
        "Stops a Hyper-V VM: services go offline; forced, unsaved data is lost.",
        "Stop Hyper-V VM {vm_name}",
      ],
    },
  },
  snapshot_management: {
    argument: "action",
    actions: {
      list: ["read", "low", "Lists a VM's snapshots.", "List the snapshots of VM {vm_name}"],
      create: [
        "write",
        "medium",
        "Takes a snapshot: uses disk space; it can be deleted.",
        "Take snapshot {snapshot_name} of VM {vm_name}",
      ],
      restore: [
        "destructive",
        "high",
        "Rolls a VM back: everything since the snapshot is lost.",
        "Restore VM {vm_name} to snapshot {snapshot_name}",
      ],
      delete: [
        "destructive",
        "critical",
        "Deletes a restore point for good.",
        "Delete snapshot {snapshot_name} of VM {vm_name}",
      ],
    },
  },
  network_management: {
    argument: "action",
    actions: {
      list_networks: ["read", "low", "Lists host networks.", "List host networks"],
      create_network: [
        "write",
        "medium",
        "Adds a host network; it can be removed again.",
        "Create host network {network_name}",
      ],
      remove_network: [
        "destructive",
        "high",
        "Removes a host network: VMs on it lose connectivity.",
        "Remove host network {network_name}",
      ],
      list_adapters: [
        "read",
        "low",
        "Lists a VM's network adapters.",
        "List the network adapters of VM {vm_name}",
      ],
      configure_adapter: [
        "write",
        "medium",
        "Rewires a VM's network adapter: can cut it off or expose it to other networks.",
        "Rewire adapter {adapter_slot} of VM {vm_name}",
      ],
    },
  },
  storage_management: {
    argument: "action",
    actions: {
      list_controllers: [
        "read",
        "low",
        "Lists a VM's storage controllers.",
        "List the storage controllers of VM {vm_name}",
      ],
      create_controller: [
        "write",
        "medium",
        "Adds a storage controller to a VM.",
        "Add storage controller {controller_name} to VM {vm_name}",
      ],
      remove_controller: [
        "destructive",
        "high",
        "Removes a storage controller: its disks are detached and the VM may not boot.",
        "Remove storage controller {controller_name} from VM {vm_name}",
      ],
      list_disks: ["read", "low", "Lists disk images.", "List disk images"],
      create_disk: [
        "write",
        "medium",
        "Creates a disk image: uses host disk space.",
        "Create disk image {disk_name}",
      ],
      attach_disk: [
        "write",
        "medium",
        "Attaches a disk image to a VM, which can then read and write it.",
        "Attach disk {disk_path} to VM {vm_name}",
      ],
    },
  },
  system_management: {
    argument: "action",
    actions: {
      host_info: ["read", "low", "Reads host and VirtualBox information.", "Read host information"],
      vbox_version: ["read", "low", "Reads the VirtualBox version.", "Read the VirtualBox version"],
      ostypes: ["read", "low", "Lists guest OS types.", "List guest OS types"],
      metrics: ["read", "low", "Reads a VM's performance metrics.", "Read the metrics of VM {vm_name}"],
      screenshot: [
        "write",
        "medium",
        "Captures a VM's screen to a host file: reveals what is on screen and writes a file.",
        "Capture the screen of VM {vm_name} to {output_file}",
      ],
    },
  },
  sandbox_management: {
    argument: "action",
    actions: {
      execute_code: [
        "execute",
        "high",
        "Runs agent-written code in a Docker sandbox.",
        "Run agent-written code in a sandbox",
      ],
      execute_file: [
        "execute",
        "critical",
        "Copies a host file into a sandbox and runs it: any file the server can read leaves the host.",
        "Run host file {host_path} in a sandbox",
      ],
      session_create: ["write", "medium", "Starts a sandbox container.", "Start sandbox {sandbox_name}"],
      session_run: [
        "execute",
        "high",
        "Runs a command in a sandbox session.",
        "Run a command in sandbox {sandbox_id}",
      ],
      session_write_file: [
        "write",
        "medium",
        "Writes a file inside a sandbox.",
        "Write {container_path} in sandbox {sandbox_id}",
      ],
      session_read_file: [
        "read",
        "low",
        "Reads a file inside a sandbox.",
        "Read {container_path} in sandbox {sandbox_id}",
      ],
      session_list: ["read", "low", "Lists sandbox sessions.", "List sandbox sessions"],
      session_destroy: [
        "destructive",
        "medium",
        "Destroys a sandbox session and the files in it.",
        "Destroy sandbox {sandbox_id}",
      ],
    },
  },
  proxmox_management: {
    argument: "operation",
    actions: {
      list_vms: ["read", "low", "Lists Proxmox VMs.", "List Proxmox VMs"],
      start_vm: [
        "write",
        "medium",
        "Starts a Proxmox VM; it can be stopped again.",
        "Start Proxmox VM {vmid}",
      ],
      stop_vm: [
        "destructive",
        "high",
        "Hard-stops a Proxmox VM: services go offline, unsaved data is lost.",
        "Stop Proxmox VM {vmid}",
      ],
      shutdown_vm: [
        "destructive",
        "high",
        "Shuts a Proxmox VM down: its services go offline.",
        "Shut down Proxmox VM {vmid}",
      ],
      status: ["read", "low", "Reads a Proxmox VM's status.", "Read the status of Proxmox VM {vmid}"],
      create_snapshot: [
        "write",
        "medium",
        "Takes a Proxmox snapshot: uses storage; it can be deleted.",
        "Take snapshot {snapshot_name} of Proxmox VM {vmid}",
      ],
      list_snapshots: [
        "read",
        "low",
        "Lists a Proxmox VM's snapshots.",
        "List the snapshots of Proxmox VM {vmid}",
      ],
      delete_snapshot: [
        "destructive",
        "critical",
        "Deletes a Proxmox restore point for good.",
        "Delete snapshot {snapshot_name} of Proxmox VM {vmid}",
      ],
      node_status: ["read", "low", "Reads a Proxmox node's status.", "Read the Proxmox node's status"],
      cluster_resources: [
        "read",
        "low",
        "Lists the Proxmox cluster's resources.",
        "List the Proxmox cluster's resources",
      ],
    },
  },
  vm_agentic_workflow: {
    argument: "action",
    actions: {
      suggest_config: [
        "read",
        "low",
        "Asks your model for a VM configuration; changes nothing.",
        "Ask your model for a VM configuration",
      ],
      sandbox_workflow: [
        "write",
        "medium",
        "Plans a sandbox with your model and may act on the plan.",
        "Plan and run a sandbox workflow with your model",
      ],
      workflow: [
        "write",
        "medium",
        "Plans virtualization steps with your model and may act on the plan.",
        "Plan and run virtualization steps with your model",
      ],
    },
  },
};

/** The testing-mode tools (`stop_vm`, …): each shares the entry of the portmanteau action it performs. */
const VIRTUALIZATION_TOOLS: ReadonlyMap<string, Entry> = new Map(
  Object.entries(VIRTUALIZATION_OPERATIONS).flatMap(([operation, targets]) => {
    for (const target of targets) {
      const tool = VIRTUALIZATION_CATALOGUE[target.tool];
      const value = tool ? target.match?.[tool.argument] : undefined;
      const entry = tool && typeof value === "string" ? tool.actions[value] : undefined;
      if (entry) return [[operation, entry] as const];
    }
    return [];
  }),
);

/** Testing-mode tools whose arguments are named unlike their portmanteau action's. */
const TESTING_EFFECTS: Readonly<Record<string, string>> = {
  create_vm: "Create VM {name}",
  clone_vm: "Clone VM {source_vm} as {new_name}",
};

/** The names of every tool the catalogue knows (portmanteau and testing-mode). */
export const CATALOGUE_TOOLS: readonly string[] = [
  ...Object.keys(VIRTUALIZATION_CATALOGUE),
  ...VIRTUALIZATION_TOOLS.keys(),
];

/** True when `a` is riskier than `b`: a higher level, or the same level and a more harmful kind. */
export function riskier(a: Risk, b: Risk): boolean {
  const level = RISK_LEVELS.indexOf(a.level) - RISK_LEVELS.indexOf(b.level);
  return level !== 0 ? level > 0 : RISK_KINDS.indexOf(a.kind) > RISK_KINDS.indexOf(b.kind);
}

function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}

/** A group of words in a name that say what a tool does. */
function group(
  kind: RiskKind,
  level: RiskLevel,
  text: string,
): readonly [RiskKind, RiskLevel, ReadonlySet<string>] {
  return [kind, level, new Set(text.trim().split(/\s+/))];
}

/** Words in a name that say what a tool does, most harmful first: the first group with a match decides. */
const WORDS = [
  group("destructive", "critical", "delete del destroy drop wipe erase purge truncate rm rmdir unlink shred"),
  group(
    "destructive",
    "high",
    `remove kill stop shutdown terminate reset restart reboot revoke uninstall disable cancel abort halt
     evict detach unmount rollback revert restore overwrite`,
  ),
  group(
    "execute",
    "high",
    "exec execute eval evaluate run shell bash sh cmd command spawn script invoke launch",
  ),
  group(
    "write",
    "medium",
    `create write update set put post add insert edit modify move mv rename upload send start install
     deploy push commit merge patch apply save copy clone fork publish submit enable attach mount configure
     change assign schedule import sync pause resume navigate click fill press mkdir toggle trigger`,
  ),
  group(
    "read",
    "low",
    `list get read search find query describe show fetch view status info count inspect check lookup
     browse download stat cat ls tree summarize explain help ping echo whoami version diff validate
     preview screenshot health`,
  ),
];

/** Lower-case words of a name: `deleteVm`, `delete_vm`, `delete-vm` and `delete.vm` all give delete, vm. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const DESTRUCTIVE_TEXT =
  /\b(delet(e|es|ed|ing|ion)|destroy\w*|drop(s|ped|ping)?|wip(e|es|ed|ing)|eras(e|es|ed|ing)|purg\w*|truncat\w*|permanently|irreversibl\w*|kill(s|ed|ing)?|terminat\w*)\b/i;
const EXECUTE_TEXT = /\b(execut\w*|arbitrary code|shell commands?|runs? (a |any )?commands?)\b/i;

/** Infers a risk from a name (a tool's, or an action's), a description and MCP annotations. */
function infer(
  name: string,
  description: string | undefined,
  hints: Readonly<Record<string, unknown>>,
): Risk {
  const nameWords = words(name);
  const found = WORDS.map(([kind, level, set]) => ({
    kind,
    level,
    word: nameWords.find((w) => set.has(w)),
  })).find((g) => g.word !== undefined);
  const declaredReadOnly = hints.readOnlyHint === true;
  let kind: RiskKind;
  let level: RiskLevel;
  let why: string;
  if (!found) {
    kind = declaredReadOnly ? "read" : "destructive";
    level = declaredReadOnly ? "medium" : "high";
    why = declaredReadOnly
      ? "Declared read-only, but its name does not say what it does, and a hint alone is not trusted."
      : "Nothing says what it does; without a read-only declaration MCP assumes a tool may destroy.";
  } else if (found.kind === "read") {
    kind = "read";
    level = declaredReadOnly ? "low" : "medium";
    why = declaredReadOnly
      ? `Its name says "${found.word}" and the server declares it read-only.`
      : `Its name says "${found.word}", but the server does not declare it read-only.`;
  } else {
    kind = found.kind;
    level = found.level;
    const what = {
      destructive: level === "critical" ? "removes something for good" : "stops, removes or undoes something",
      execute: "runs code or commands",
      write: "changes something",
    }[found.kind];
    why = `Its name says "${found.word}": it likely ${what}.`;
  }

  const text = description ?? "";
  const destructiveText = DESTRUCTIVE_TEXT.exec(text)?.[0];
  const executeText = EXECUTE_TEXT.exec(text)?.[0];
  if (destructiveText && kind !== "destructive") {
    kind = "destructive";
    level = maxLevel(level, "high");
    why += ` Its description mentions "${destructiveText}".`;
  } else if (executeText && (kind === "read" || kind === "write")) {
    kind = "execute";
    level = maxLevel(level, "high");
    why += ` Its description mentions "${executeText}".`;
  }
  if (hints.destructiveHint === true && !declaredReadOnly && kind !== "destructive") {
    kind = "destructive";
    level = maxLevel(level, "high");
    why += " The server declares it destructive.";
  }
  if (hints.readOnlyHint === false && kind === "read") {
    kind = "write";
    level = maxLevel(level, "medium");
    why += " The server declares it changes state.";
  }
  if (hints.openWorldHint === true && kind !== "read" && level !== "critical" && level !== "high") {
    level = "high";
    why += " It reaches beyond this machine (openWorldHint).";
  }
  return { kind, level, why, source: "inferred" };
}

function fromEntry([kind, level, why, effect]: Entry, action?: string): Risk {
  return { kind, level, why, source: "catalogue", ...(action !== undefined ? { action } : {}), effect };
}

function worstOf(risks: readonly Risk[]): Risk | undefined {
  return risks.reduce<Risk | undefined>((worst, r) => (!worst || riskier(r, worst) ? r : worst), undefined);
}

/** The string values an input property allows, if it is an enum (directly or inside anyOf). */
function enumOf(schema: unknown): string[] | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const s = schema as { enum?: unknown; anyOf?: unknown };
  if (Array.isArray(s.enum)) return s.enum.filter((v): v is string => typeof v === "string");
  if (Array.isArray(s.anyOf)) return s.anyOf.map(enumOf).find((values) => values !== undefined);
  return undefined;
}

/** Arguments that pick the action of a portmanteau tool the catalogue does not know. */
const ACTION_ARGUMENTS = ["action", "operation"] as const;

/** A tool's risks: its own, or per action for a portmanteau tool (catalogued or with an action enum). */
export function toolRisks(tool: RiskTool): ToolRisks {
  const hints = tool.annotations ?? {};
  const known = VIRTUALIZATION_CATALOGUE[tool.name];
  if (known) {
    // Versions drift: an action the server lists that the catalogue does not know is inferred.
    const listed = enumOf(tool.inputSchema?.properties?.[known.argument]) ?? [];
    const names = [...Object.keys(known.actions), ...listed.filter((a) => !(a in known.actions))];
    const actions = Object.fromEntries(
      names.map((name) => {
        const entry = known.actions[name];
        return [name, entry ? fromEntry(entry, name) : { ...infer(name, undefined, hints), action: name }];
      }),
    );
    return { risk: worstOf(Object.values(actions)) as Risk, argument: known.argument, actions };
  }
  const single = VIRTUALIZATION_TOOLS.get(tool.name);
  if (single) {
    const risk = fromEntry(single);
    const effect = TESTING_EFFECTS[tool.name];
    return { risk: effect ? { ...risk, effect } : risk };
  }
  for (const argument of ACTION_ARGUMENTS) {
    const listed = enumOf(tool.inputSchema?.properties?.[argument]);
    if (!listed?.length) continue;
    const actions = Object.fromEntries(
      listed.map((name) => [name, { ...infer(name, undefined, hints), action: name }]),
    );
    return { risk: worstOf(Object.values(actions)) as Risk, argument, actions };
  }
  return { risk: infer(tool.name, tool.description, hints) };
}

/**
 * The risk of calling `tool` with `args`. For a portmanteau tool the arguments pick the action; without
 * them (or without the action argument) the answer is its worst action. An action the tool does not list
 * is inferred from its name.
 */
export function riskOf(tool: RiskTool, args?: Readonly<Record<string, unknown>>): Risk {
  const risks = toolRisks(tool);
  if (!risks.argument || !risks.actions) return risks.risk;
  const action = args?.[risks.argument];
  if (typeof action !== "string") return risks.risk;
  const listed = risks.actions[action];
  if (listed) return listed;
  const inferred = infer(action, undefined, tool.annotations ?? {});
  return { ...inferred, why: `"${action}" is not an action this tool lists. ${inferred.why}`, action };
}

/** The `{argument}` placeholders of an effect, in order. */
export function effectArguments(effect: string): string[] {
  return [...effect.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Words in an argument's name that say it identifies what a call acts on. */
const IDENTIFYING_WORDS = new Set(
  `id ids uuid key name names path paths file files filename dir directory folder target targets host
   hostname url uri vm vmid database db table repo repository bucket branch project namespace cluster node
   container image resource source src dest destination account user email channel`
    .trim()
    .split(/\s+/),
);

/** Whether an argument's name (`vm_name`, `filePath`, `vmid`) says it identifies what the call acts on. */
export function isIdentifying(argument: string): boolean {
  return words(argument).some((w) => IDENTIFYING_WORDS.has(w));
}

/** A value as the target line shows it: a string as sent, anything else as JSON. */
function targetValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  return JSON.stringify(value);
}

/**
 * What a call acts on. A call whose risk has an effect (a catalogued tool and action) acts on the arguments
 * the effect names, sent or not: `proxmox_management {operation: "stop_vm", vmid: "100", name: "x"}` acts on
 * `vmid`, never on `name`. Any other call lists every argument whose name identifies something, so an agent
 * cannot put a harmless-looking `name` in front of the `path` the tool really uses.
 */
export function callTargets(risk: Risk | undefined, args: Readonly<Record<string, unknown>>): CallTarget[] {
  const identifying = identifyingTargets(args);
  if (risk?.effect === undefined) return identifying;
  const named: CallTarget[] = effectArguments(risk.effect).map((argument) => {
    const value = targetValue(args[argument]);
    return value === undefined ? { argument } : { argument, value };
  });
  // A catalogued argument that was not sent: this may be another server's tool of the same name, so what
  // it was sent is shown too.
  if (named.every((t) => t.value !== undefined)) return named;
  return [...named, ...identifying.filter((t) => !named.some((n) => n.argument === t.argument))];
}

/** Every argument whose name identifies something, with its value (objects are left to the full view). */
function identifyingTargets(args: Readonly<Record<string, unknown>>): CallTarget[] {
  return Object.entries(args).flatMap(([argument, raw]) => {
    if (!isIdentifying(argument)) return [];
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) return [];
    const value = targetValue(raw);
    return value === undefined ? [] : [{ argument, value }];
  });
}
