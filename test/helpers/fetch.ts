/**
 * The fetch the SDK's HTTP client transports are given. They pass one AbortSignal, shared by the whole
 * connection, to every request, and Node 20's fetch leaves an abort listener on the signal it is given for
 * each request: thousands of calls pile up thousands of listeners (MaxListenersExceededWarning, memory
 * that only grows). Each request here gets a signal of its own that follows the shared one.
 */
export const connectionFetch: typeof fetch = (input, init) =>
  fetch(input, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);

/**
 * Replaces fetch's connection pool with one of at most `connections` per origin; returns the undo. Many
 * thousand calls in flight then queue in the client (as an agent's HTTP stack would) instead of opening
 * as many sockets at once, which a loaded machine's kernel times out.
 */
export function capConnections(connections: number): () => void {
  const key = Symbol.for("undici.globalDispatcher.1");
  const holder = globalThis as unknown as Record<symbol, { constructor: new (options: object) => unknown }>;
  const previous = holder[key];
  if (!previous) throw new Error("fetch has no global dispatcher yet");
  holder[key] = new previous.constructor({ connections, connect: { timeout: 60_000 } }) as never;
  return () => {
    holder[key] = previous;
  };
}
