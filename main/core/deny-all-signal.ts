/**
 * Deny-all without a file descriptor. With the process's descriptors used up (idle connections from any
 * local process can do it), no control request gets through, yet connections already open still carry
 * calls. A signal needs no descriptor: on SIGUSR2 the warden turns Deny-all on in memory at once and
 * records it in the audit log (whose file is already open). `mcp-warden deny-all on` sends it when the
 * control API cannot be reached. Only turning it on: off is never an emergency, and goes through the API.
 */
import type { Warden } from "./warden.js";

/** The signal that turns Deny-all on. */
export const DENY_ALL_SIGNAL = "SIGUSR2";

/** Turns Deny-all on whenever the process gets DENY_ALL_SIGNAL; returns how to stop listening. */
export function denyAllOnSignal(warden: Warden): () => void {
  const engage = () => {
    const result = warden.setDenyAll(true);
    try {
      warden.log.control({ ts: Date.now(), action: "deny-all", on: true, via: DENY_ALL_SIGNAL });
    } catch (error) {
      process.emitWarning(
        `Deny-all is on, but the audit log could not record it: ${(error as Error).message}`,
      );
    }
    process.stderr.write(
      `mcp-warden: Deny-all is on (${DENY_ALL_SIGNAL})${result.error ? `; ${result.error}` : ""}\n`,
    );
  };
  process.on(DENY_ALL_SIGNAL, engage);
  return () => process.off(DENY_ALL_SIGNAL, engage);
}
