/**
 * Bounded output per client. What the warden writes to a client that does not read it stays in the
 * warden's memory (the socket's write buffer) until the client reads: a client could grow the process until
 * it dies, and in the tray app the core runs in Electron's main process, so the whole app would go. So the
 * bytes each stream and each client (grant) leave unread are capped; past a cap the stream's connection is
 * cut off (its memory freed, its unfinished requests cancelled upstream) and every other client goes on.
 */
import type { ServerResponse } from "node:http";

/** Bytes one response stream may have unread before more is written to it (one message always goes out). */
export const MAX_UNREAD_PER_STREAM = 8 * 1024 * 1024;

/** Bytes one client (grant) may have unread across all its open responses. */
export const MAX_UNREAD_PER_CLIENT = 32 * 1024 * 1024;

/** Total bytes of one batch's answers; the entries past it are answered with an error saying so. */
export const MAX_BATCH_ANSWER_BYTES = 16 * 1024 * 1024;

/** Responses this module cut off, so whoever owns one can tell a cut-off from a client that went away. */
const cutOff = new WeakSet<ServerResponse>();

/** Whether `res` was cut off because its client left too much unread. */
export function wasCutOff(res: ServerResponse): boolean {
  return cutOff.has(res);
}

/** Ends a response's connection at once: its buffered bytes are dropped and its owner sees it close. */
function cut(res: ServerResponse, why: string): void {
  cutOff.add(res);
  process.emitWarning(`MCP Warden cut off a client connection: ${why}`);
  res.destroy();
}

/** The open responses of every client, to cap what each client leaves unread. */
export class UnreadBytes {
  readonly #byClient = new Map<string, Set<ServerResponse>>();
  /** Answers a response has taken and not yet written (a batch is answered once all its entries are in). */
  readonly #held = new WeakMap<ServerResponse, number>();
  readonly #perStream: number;
  readonly #perClient: number;

  constructor(perStream = MAX_UNREAD_PER_STREAM, perClient = MAX_UNREAD_PER_CLIENT) {
    this.#perStream = perStream;
    this.#perClient = perClient;
  }

  /** Counts `res` against `client` until it closes. */
  track(client: string, res: ServerResponse): void {
    let open = this.#byClient.get(client);
    if (!open) {
      open = new Set();
      this.#byClient.set(client, open);
    }
    if (open.has(res)) return;
    open.add(res);
    res.once("close", () => {
      open.delete(res);
      if (open.size === 0 && this.#byClient.get(client) === open) this.#byClient.delete(client);
    });
  }

  /** The bytes `res` holds for its client: written and not yet taken, or taken in and not yet written. */
  #size(res: ServerResponse): number {
    return res.destroyed ? 0 : res.writableLength + (this.#held.get(res) ?? 0);
  }

  /** The bytes `client` holds across its open responses. */
  heldFor(client: string): number {
    let total = 0;
    for (const res of this.#byClient.get(client) ?? []) total += this.#size(res);
    return total;
  }

  /**
   * Counts `bytes` of answers `res` has taken in before writing them. Returns false when that cut `res`
   * off (its client holds too much already).
   */
  hold(client: string, res: ServerResponse, bytes: number): boolean {
    if (res.destroyed) return false;
    this.track(client, res);
    const before = this.#size(res);
    this.#held.set(res, (this.#held.get(res) ?? 0) + bytes);
    this.#fit(client, res, before);
    return !res.destroyed;
  }

  /**
   * Writes `chunk` to `res` (and ends it with `end`), after cutting off what its client left unread past
   * the caps: `res` itself when its own backlog is over the stream cap, else the client's most backed-up
   * responses until what it holds fits the client cap. What `res` held is now written. Returns false when
   * `res` was cut off.
   */
  write(client: string, res: ServerResponse, chunk: string, end = false): boolean {
    if (res.destroyed || res.writableEnded) return false;
    this.track(client, res);
    if (res.writableLength > this.#perStream) {
      cut(res, `a stream of client "${client}" had over ${this.#perStream} bytes unread`);
      return false;
    }
    this.#held.delete(res);
    const before = this.#size(res);
    this.#held.set(res, Buffer.byteLength(chunk));
    this.#fit(client, res, before);
    this.#held.delete(res);
    if (res.destroyed) return false;
    if (end) res.end(chunk);
    else res.write(chunk);
    return true;
  }

  /**
   * Cuts off `client`'s most backed-up other responses until what it holds fits its cap; `current` too
   * when that is not enough and it held something before (`before`): one message alone always goes out.
   */
  #fit(client: string, current: ServerResponse, before: number): void {
    let total = this.heldFor(client);
    if (total <= this.#perClient) return;
    const others = [...(this.#byClient.get(client) ?? [])]
      .filter((r) => r !== current && this.#size(r) > 0)
      .sort((a, b) => this.#size(b) - this.#size(a));
    const why = `client "${client}" held over ${this.#perClient} bytes of answers it had not read`;
    for (const res of others) {
      if (total <= this.#perClient) return;
      total -= this.#size(res);
      cut(res, why);
    }
    if (total > this.#perClient && before > 0) cut(current, why);
  }
}
