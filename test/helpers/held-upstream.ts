/**
 * The test's side of test/fixtures/held-server.mjs: a listener on 127.0.0.1 that learns of each call the
 * moment it reaches the server, and answers it when the test releases it.
 */
import { EventEmitter, once } from "node:events";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "./warden.js";

/** One call as the server received it, held there until released. */
export interface HeldCall {
  args: Record<string, unknown>;
  /** Lets the server answer the call with `text`. */
  release(text?: string): void;
}

export interface HeldUpstream {
  /** The servers-file entry for a `hold` server that reports to this listener. */
  entry: Record<string, unknown>;
  /** Resolves with the `n`th call (from 0, in order of arrival) once it has reached the server. */
  call(n: number): Promise<HeldCall>;
  /** How many calls have reached the server so far. */
  arrived(): number;
  close(): Promise<void>;
}

/** Starts the listener a `hold` server reports to. */
export async function heldUpstream(): Promise<HeldUpstream> {
  const calls: HeldCall[] = [];
  const arrivals = new EventEmitter();
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    createInterface({ input: socket }).once("line", (line) => {
      calls.push({
        args: JSON.parse(line) as Record<string, unknown>,
        release: (text = "released") => void socket.write(`${text}\n`),
      });
      arrivals.emit("call");
    });
  });
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  const port = (listener.address() as { port: number }).port;
  return {
    entry: {
      command: process.execPath,
      args: [join(repoRoot, "test", "fixtures", "held-server.mjs")],
      env: { HOLD_PORT: String(port) },
    },
    call: async (n) => {
      while (calls.length <= n) await once(arrivals, "call");
      return calls[n] as HeldCall;
    },
    arrived: () => calls.length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      listener.close();
      await once(listener, "close").catch(() => {});
    },
  };
}
