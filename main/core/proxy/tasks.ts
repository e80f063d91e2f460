/**
 * Tasks the warden runs itself (MCP 2025-11-25 tasks). A client that asks for a task-augmented tools/call
 * gets its task at once when the call has to wait for a human (or when the server cannot run tasks), and
 * polls it with tasks/get and tasks/result instead of holding a request open for the whole approval: a
 * slow approval then outlasts any client request timeout. The call itself goes through the same pipeline
 * as any other; the task only carries its outcome. Tasks belong to the client grant that made them: another
 * grant never sees, reads or cancels them.
 */
import { randomUUID } from "node:crypto";
import { type RawMessage, spanAt } from "./raw-json.js";

export type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";

/** A task as the protocol shows it. */
export interface TaskView {
  taskId: string;
  status: TaskStatus;
  ttl: number;
  createdAt: string;
  lastUpdatedAt: string;
  pollInterval: number;
  statusMessage?: string;
}

/** The `_meta` key that ties a message to its task. */
export const RELATED_TASK = "io.modelcontextprotocol/related-task";

/** Live tasks a grant may hold on one server at once (waiting or finished and not yet expired). */
export const MAX_TASKS_PER_GRANT = 64;
/** How long a finished task's result stays readable, at least and at most (a client may ask within). */
export const MIN_TASK_TTL_MS = 60_000;
export const MAX_TASK_TTL_MS = 60 * 60_000;
/** How often a client is told to poll: a human's answer is seconds away, not milliseconds. */
export const TASK_POLL_MS = 1_000;

const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

/** The JSON text of a task's outcome: the `result` of the call, or the `error` it ended with. */
export type TaskOutcome = { result: string } | { error: string };

interface Entry {
  grant: string;
  view: TaskView;
  cancel: () => void;
  outcome: TaskOutcome | undefined;
  settled: Promise<void>;
  settle(): void;
  expiry: NodeJS.Timeout | undefined;
}

/** The warden's own tasks on one server. */
export class WardenTasks {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new task, working; undefined when the grant already holds as many as it may. */
  create(
    grant: string,
    requestedTtl: unknown,
    statusMessage: string,
    cancel: () => void,
  ): TaskView | undefined {
    let held = 0;
    for (const entry of this.#entries.values()) if (entry.grant === grant) held++;
    if (held >= MAX_TASKS_PER_GRANT) return undefined;
    const ttl =
      typeof requestedTtl === "number" && Number.isFinite(requestedTtl)
        ? Math.min(MAX_TASK_TTL_MS, Math.max(MIN_TASK_TTL_MS, Math.round(requestedTtl)))
        : MAX_TASK_TTL_MS;
    const at = new Date(this.#now()).toISOString();
    const view: TaskView = {
      taskId: randomUUID(),
      status: "working",
      ttl,
      createdAt: at,
      lastUpdatedAt: at,
      pollInterval: TASK_POLL_MS,
      statusMessage,
    };
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#entries.set(view.taskId, {
      grant,
      view,
      cancel,
      outcome: undefined,
      settled,
      settle,
      expiry: undefined,
    });
    return { ...view };
  }

  /** Whether the grant holds this task (a task of another grant is not there for it). */
  has(grant: string, taskId: unknown): taskId is string {
    return typeof taskId === "string" && this.#entries.get(taskId)?.grant === grant;
  }

  /** A working task's new status line (while it waits, then while the server runs it). */
  update(taskId: string, statusMessage: string): void {
    const entry = this.#entries.get(taskId);
    if (!entry || TERMINAL.has(entry.view.status)) return;
    this.#change(entry, { statusMessage });
  }

  /** Ends the task with the call's outcome; a task that was cancelled stays cancelled. */
  finish(taskId: string, outcome: TaskOutcome, statusMessage?: string): void {
    const entry = this.#entries.get(taskId);
    if (!entry || TERMINAL.has(entry.view.status)) return;
    entry.outcome = outcome;
    this.#change(entry, {
      status: "result" in outcome ? "completed" : "failed",
      ...(statusMessage !== undefined ? { statusMessage } : {}),
    });
    this.#end(taskId, entry);
  }

  get(grant: string, taskId: string): TaskView | undefined {
    const entry = this.#entries.get(taskId);
    return entry && entry.grant === grant ? { ...entry.view } : undefined;
  }

  list(grant: string): TaskView[] {
    return [...this.#entries.values()]
      .filter((entry) => entry.grant === grant)
      .map((entry) => ({ ...entry.view }))
      .reverse();
  }

  /** Cancels a task that has not ended; undefined for one that is not the grant's. */
  cancel(
    grant: string,
    taskId: string,
    reason = "Cancelled by the client",
  ): { view: TaskView; ended: boolean } | undefined {
    const entry = this.#entries.get(taskId);
    if (!entry || entry.grant !== grant) return undefined;
    if (TERMINAL.has(entry.view.status)) return { view: { ...entry.view }, ended: true };
    this.#change(entry, { status: "cancelled", statusMessage: reason });
    entry.cancel();
    this.#end(taskId, entry);
    return { view: { ...entry.view }, ended: false };
  }

  /** The outcome of a task that has ended with one (undefined while it works, or once cancelled). */
  ended(grant: string, taskId: string): TaskOutcome | undefined {
    const entry = this.#entries.get(taskId);
    return entry && entry.grant === grant ? entry.outcome : undefined;
  }

  /** The task's outcome once it has one; `cancelled` for a task cancelled before it ended. */
  async outcome(grant: string, taskId: string): Promise<TaskOutcome | "cancelled" | undefined> {
    const entry = this.#entries.get(taskId);
    if (!entry || entry.grant !== grant) return undefined;
    await entry.settled;
    return entry.outcome ?? "cancelled";
  }

  /** Cancels every task (the server is going away). */
  close(): void {
    for (const [taskId, entry] of this.#entries) {
      if (!TERMINAL.has(entry.view.status)) entry.cancel();
      if (entry.expiry) clearTimeout(entry.expiry);
      entry.settle();
      this.#entries.delete(taskId);
    }
  }

  #change(entry: Entry, change: Partial<TaskView>): void {
    Object.assign(entry.view, change, { lastUpdatedAt: new Date(this.#now()).toISOString() });
  }

  /** An ended task is kept for its ttl, then forgotten. */
  #end(taskId: string, entry: Entry): void {
    entry.settle();
    entry.expiry = setTimeout(() => this.#entries.delete(taskId), entry.view.ttl);
    entry.expiry.unref();
  }
}

/** The outcome a relayed answer carries: its `result` or its `error`, as the server wrote them. */
export function outcomeOf(answer: RawMessage): TaskOutcome {
  const result = spanAt(answer.text, ["result"]);
  if (result) return { result: answer.text.slice(result[0], result[1]) };
  const error = spanAt(answer.text, ["error"]);
  return { error: error ? answer.text.slice(error[0], error[1]) : '{"code":-32603,"message":"no answer"}' };
}
