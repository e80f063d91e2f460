/**
 * Tool pinning (rug-pull protection). The first time the warden sees a server, it pins each tool's
 * definition (name, description, input schema). A tool that later changes, or appears, is held back —
 * hidden from tools/list and refused — until the user accepts it. Names with characters outside plain
 * ASCII are held even on first sight: they are how a server disguises one tool as another.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolChange, ToolDefinition } from "../../../shared/contract.js";
import { canonicalJson } from "../canonical.js";
import { writeFileAtomic } from "../config/data-dir.js";

/** What a tool is pinned by. */
export function toolDefinition(tool: Tool): ToolDefinition {
  return {
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    inputSchema: tool.inputSchema as Record<string, unknown>,
  };
}

/** Tool names a person can read for what they are: ASCII letters, digits and `_ - . /`. */
export const PLAIN_TOOL_NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;

interface PinFile {
  servers: Record<string, Record<string, ToolDefinition>>;
}

/** The pins of every server, kept in pins.json. */
export class ToolPins {
  readonly #path: string;
  #pins: PinFile = { servers: {} };
  readonly #held = new Map<string, ToolChange>();
  /** Servers first pinned by this process: the rest of their first sighting may still come. */
  readonly #firstSeen = new Set<string>();
  readonly #now: () => number;

  constructor(path: string, now: () => number = Date.now) {
    this.#path = path;
    this.#now = now;
    if (existsSync(path)) {
      const value = JSON.parse(readFileSync(path, "utf8")) as Partial<PinFile>;
      if (value.servers && typeof value.servers === "object") this.#pins = { servers: value.servers };
    }
  }

  static #key(server: string, tool: string): string {
    return `${server}\u0000${tool}`;
  }

  /** Compares a server's current tools with its pins; returns whether the held set changed. */
  review(server: string, tools: readonly Tool[], sameSighting = false): boolean {
    const before = canonicalJson(this.changes(server));
    for (const key of [...this.#held.keys()]) if (key.startsWith(`${server}\u0000`)) this.#held.delete(key);
    let pinned = this.#pins.servers[server];
    // The rest of a first sighting (a dual-era server's other-era tools, listed a moment later) is
    // accepted as the first sighting was; anything later is held like any new tool.
    const firstSight = pinned === undefined || (sameSighting && this.#firstSeen.has(server));
    if (pinned === undefined) this.#firstSeen.add(server);
    if (!pinned) {
      pinned = {};
      this.#pins.servers[server] = pinned;
    }
    for (const tool of tools) {
      const current = toolDefinition(tool);
      const pin = pinned[tool.name];
      const plain = PLAIN_TOOL_NAME.test(tool.name);
      if (firstSight && plain) {
        pinned[tool.name] = current;
      } else if (!pin) {
        this.#hold({ server, tool: tool.name, kind: plain ? "new" : "suspicious-name", current });
      } else if (canonicalJson(pin) !== canonicalJson(current)) {
        this.#hold({ server, tool: tool.name, kind: "changed", pinned: pin, current });
      }
    }
    if (firstSight) this.#save();
    return canonicalJson(this.changes(server)) !== before;
  }

  #hold(change: Omit<ToolChange, "detectedAt">): void {
    this.#held.set(ToolPins.#key(change.server, change.tool), { ...change, detectedAt: this.#now() });
  }

  /** Whether a tool is held back (not pinned as it is now). */
  isHeld(server: string, tool: string): boolean {
    return this.#held.has(ToolPins.#key(server, tool));
  }

  /** Whether a tool is pinned for the server (as some definition). */
  isPinned(server: string, tool: string): boolean {
    return this.#pins.servers[server]?.[tool] !== undefined;
  }

  /** The tools waiting for the user, optionally of one server. */
  changes(server?: string): ToolChange[] {
    return [...this.#held.values()].filter((c) => server === undefined || c.server === server);
  }

  /** Accepts a held tool as it is now: it is pinned and released. */
  accept(server: string, tool: string): boolean {
    const change = this.#held.get(ToolPins.#key(server, tool));
    if (!change) return false;
    const pinned = this.#pins.servers[server] ?? {};
    pinned[tool] = change.current;
    this.#pins.servers[server] = pinned;
    this.#held.delete(ToolPins.#key(server, tool));
    this.#save();
    return true;
  }

  #save(): void {
    writeFileAtomic(this.#path, `${JSON.stringify(this.#pins, null, 2)}\n`);
  }
}
