/**
 * What the relay asks of the core's call pipeline: decide a call (and forward it when allowed), say which
 * tools a client may see, and whether Deny-all is on. The warden implements it; the proxy knows nothing more
 * of the core.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { PolicyCall } from "../policy/decide.js";
import type { RawMessage } from "./raw-json.js";

/** One call arriving from a client: what the policy sees of it, and how to reach the server with it. */
export interface IncomingCall extends PolicyCall {
  signal?: AbortSignal;
  /** Who the client says it is in its handshake (its clientInfo's title or name), when it says. */
  clientName?: string;
  /** The arguments' JSON as the client sent it (the audit keeps it exact, and need not make it again). */
  argsText?: string;
  /** Sends the call on to the server, as the client sent it; resolves with the server's answer. */
  forward: () => Promise<RawMessage>;
  /** Called when the call starts waiting for a human; returns what ends the wait's side effects. */
  whileWaiting?: () => () => void;
}

/** What became of a call: the server's answer, relayed as it is, or the warden's refusal. */
export type CallOutcomeOf =
  | { relayed: RawMessage; refused?: undefined }
  | { refused: CallToolResult; relayed?: undefined };

/** The pipeline the relay hands calls to. */
export interface CallGate {
  readonly denyAll: boolean;
  /** Decides and, when allowed, forwards one call. Never throws for a refusal; never hangs. */
  handleCall(call: IncomingCall): Promise<CallOutcomeOf>;
  /** Whether tools/list shows a tool to the client. */
  isToolVisible(server: string, tool: string): boolean;
  /** Announces when what a client may see changes (the policy, a tool held or accepted). */
  readonly events: { on(event: "policy" | "toolChanges", listener: () => void): () => void };
}
