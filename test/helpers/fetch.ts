/**
 * The fetch the SDK's HTTP client transports are given. They pass one AbortSignal, shared by the whole
 * connection, to every request, and Node 20's fetch leaves an abort listener on the signal it is given for
 * each request: thousands of calls pile up thousands of listeners (MaxListenersExceededWarning, memory
 * that only grows). Each request here gets a signal of its own that follows the shared one.
 */
export const connectionFetch: typeof fetch = (input, init) =>
  fetch(input, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);
