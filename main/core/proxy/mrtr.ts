/**
 * Multi-round-trip requests the warden makes itself (MCP 2026-07-28). A legacy server asks its client
 * mid-call (sampling, elicitation, roots); a 2026-07-28 client cannot be asked, so the warden answers the
 * client's tools/call with `resultType: "input_required"`, the server's questions as `inputRequests`, and a
 * `requestState` of its own; the client's retry brings the answers, which go to the server, and gets the
 * call's next turn (its result, or the next questions). The call is decided once: the retry continues it.
 *
 * The state is integrity-protected and single-use: an HMAC (a key that never leaves the process) over the
 * call it continues, the round it answers, the client grant and an expiry; each round is answered once.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { type RawMessage, spanAt } from "./raw-json.js";

/** How a warden-made requestState begins (a server's own states are relayed untouched). */
export const STATE_PREFIX = "mcpw1.";
/** How long a round waits for the client's retry before the server's questions are refused. */
export const ROUND_TIMEOUT_MS = 5 * 60_000;

interface StatePayload {
  /** The continuation (one tools/call). */
  c: string;
  /** The round it answers. */
  r: number;
  /** The client grant. */
  g: string;
  /** Expiry, ms since the epoch. */
  e: number;
}

/** Mints and checks the warden's requestState values. */
export class RequestStates {
  readonly #key = randomBytes(32);

  mint(payload: StatePayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${STATE_PREFIX}${body}.${this.#mac(body)}`;
  }

  /** The state's payload, or why it is refused. */
  verify(state: string, now: number): StatePayload | { refused: string } {
    const [body, mac] = state.slice(STATE_PREFIX.length).split(".");
    if (!body || !mac) return { refused: "the requestState is malformed" };
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { refused: "the requestState was altered or is not this warden's" };
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as StatePayload;
    if (payload.e < now) return { refused: "the requestState has expired" };
    return payload;
  }

  #mac(body: string): string {
    return createHmac("sha256", this.#key).update(body).digest("base64url");
  }
}

/** What the request waiting on a call gets next: questions for the client, or the call's end. */
export type Turn<End> = { input: string; state: string } | { end: End };

interface Ask {
  announced: boolean;
  message: RawMessage;
  resolve(answer: RawMessage): void;
  reject(error: Error): void;
}

/** One tools/call of a 2026-07-28 client whose server may ask it things mid-call. */
export class Continuation<End> {
  readonly id = randomUUID();
  readonly grant: string;
  /** The call it continues (tool name and arguments, canonical): a retry must repeat it. */
  readonly call: string;
  readonly #states: RequestStates;
  readonly #asks = new Map<string, Ask>();
  readonly #onEnd: () => void;
  #nextKey = 1;
  #round = 0;
  #answered = 0;
  #sink: ((turn: Turn<End>) => void) | undefined;
  #ended: End | undefined;
  #done = false;
  #timer: NodeJS.Timeout | undefined;
  /** Called when a round goes unanswered: the call is given up. */
  onExpire: () => void = () => {};

  constructor(states: RequestStates, grant: string, call: string, onEnd: () => void) {
    this.#states = states;
    this.grant = grant;
    this.call = call;
    this.#onEnd = onEnd;
  }

  /** Whether questions went to the client and its retry is awaited. */
  get awaitingRetry(): boolean {
    return !this.#done && this.#round > this.#answered;
  }

  /** The server asks the client something; resolves with the client's answer from its retry. */
  ask(message: RawMessage, signal: AbortSignal): Promise<RawMessage> {
    if (this.#done) return Promise.reject(new Error("the call has ended"));
    return new Promise<RawMessage>((resolve, reject) => {
      const key = `q${this.#nextKey++}`;
      this.#asks.set(key, { announced: false, message, resolve, reject });
      signal.addEventListener(
        "abort",
        () => {
          if (this.#asks.delete(key)) reject(new Error("cancelled by the server"));
        },
        { once: true },
      );
      this.#flush();
    });
  }

  /** The call's next turn, for the request now waiting on it. */
  next(): Promise<Turn<End>> {
    if (this.#done) return Promise.resolve({ end: this.#ended as End });
    return new Promise((resolve) => {
      this.#sink = resolve;
      this.#flush();
    });
  }

  /** The call has ended: the waiting request gets its end; questions left unanswered are refused. */
  end(outcome: End): void {
    if (this.#done) return;
    this.#done = true;
    this.#ended = outcome;
    if (this.#timer) clearTimeout(this.#timer);
    for (const ask of this.#asks.values()) ask.reject(new Error("the call has ended"));
    this.#asks.clear();
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.({ end: outcome });
    this.#onEnd();
  }

  /**
   * A retry answering round `round` with `responses` (keyed as the questions were); undefined when taken,
   * else why it is refused (a round is answered once).
   */
  resume(round: number, responses: Record<string, unknown>): string | undefined {
    if (this.#done) return "the call has already ended";
    if (round !== this.#round || this.#answered >= round) return "this requestState was already used";
    this.#answered = round;
    if (this.#timer) clearTimeout(this.#timer);
    for (const [key, ask] of this.#asks) {
      if (!ask.announced) continue;
      this.#asks.delete(key);
      const response = responses[key];
      if (response === undefined || response === null || typeof response !== "object")
        ask.reject(new Error(`the client gave no answer to ${String(ask.message.value.method)}`));
      else ask.resolve({ text: `{"jsonrpc":"2.0","id":0,"result":${JSON.stringify(response)}}`, value: {} });
    }
    return undefined;
  }

  /** Sends the questions not yet asked to the request waiting, if one is. */
  #flush(): void {
    if (!this.#sink || this.#done) return;
    const fresh = [...this.#asks].filter(([, ask]) => !ask.announced);
    if (fresh.length === 0) return;
    for (const [, ask] of fresh) ask.announced = true;
    this.#round++;
    const input = `{${fresh.map(([key, ask]) => `${JSON.stringify(key)}:${questionOf(ask.message)}`).join(",")}}`;
    const state = this.#states.mint({
      c: this.id,
      r: this.#round,
      g: this.grant,
      e: Date.now() + ROUND_TIMEOUT_MS,
    });
    const sink = this.#sink;
    this.#sink = undefined;
    this.#timer = setTimeout(() => this.onExpire(), ROUND_TIMEOUT_MS);
    this.#timer.unref();
    sink({ input, state });
  }
}

/** A server's request as an input request: its method and params, as the server wrote them. */
function questionOf(message: RawMessage): string {
  const params = spanAt(message.text, ["params"]);
  return `{"method":${JSON.stringify(message.value.method)}${params ? `,"params":${message.text.slice(params[0], params[1])}` : ""}}`;
}

/** The continuations of one server's 2026-07-28 calls. */
export class Continuations {
  readonly states = new RequestStates();
  readonly #open = new Map<string, Continuation<unknown>>();

  open<End>(grant: string, call: string): Continuation<End> {
    const continuation: Continuation<End> = new Continuation<End>(this.states, grant, call, () =>
      this.#open.delete(continuation.id),
    );
    this.#open.set(continuation.id, continuation as Continuation<unknown>);
    return continuation;
  }

  get(id: string): Continuation<unknown> | undefined {
    return this.#open.get(id);
  }
}
