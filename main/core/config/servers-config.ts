/**
 * The servers file, in the `mcpServers` format MCP clients already use:
 * `{"mcpServers": {"name": {"command": "...", "args": [], "env": {}}, "remote": {"url": "http://..."}}}`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { formatJsonPath, type PolicyError } from "../../../shared/policy-schema.js";

const serverConfig = z
  .object({
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    transport: z.enum(["http", "sse"]).optional(),
    /** Milliseconds one call may take upstream (progress notifications extend it). */
    timeoutMs: z.int().positive().optional(),
    /** Milliseconds one connect attempt (start or HTTP, then initialize) may take. */
    connectTimeoutMs: z.int().positive().optional(),
    /** The most one message from the server may be, in bytes (default 64 MiB). */
    maxMessageBytes: z.int().min(1024).optional(),
    /**
     * One connection for every client, instead of one per client: for servers the user knows keep no
     * per-client state and ask clients nothing (server requests that cannot be tied to one call are refused).
     */
    share: z.boolean().optional(),
    /**
     * OAuth sign-in toward this server: a client registered beforehand (clientId, clientSecret), the
     * warden's Client ID Metadata Document URL (https), a scope to ask for. Without it the warden registers
     * itself where the server allows.
     */
    oauth: z
      .object({
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        clientMetadataUrl: z.url().optional(),
        scope: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .refine((s) => Boolean(s.command) !== Boolean(s.url), {
    message: "give either command (stdio) or url (HTTP)",
  });

const serversFile = z.object({
  mcpServers: z.record(
    z.string().regex(/^[A-Za-z0-9_.-]+$/, "server names use letters, digits, _ . -"),
    serverConfig,
  ),
});

export type ServerConfig = z.output<typeof serverConfig>;
export type ServersFile = z.output<typeof serversFile>;

/** Validates a parsed servers file. */
export function parseServers(
  value: unknown,
): { ok: true; servers: ServersFile } | { ok: false; errors: PolicyError[] } {
  const result = serversFile.safeParse(value);
  if (result.success) return { ok: true, servers: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((i) => ({ path: formatJsonPath(i.path), message: i.message })),
  };
}

/** Reads and validates a servers file; throws one readable error naming the file. */
export function readServersFile(path: string): ServersFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`servers file ${path}: ${(error as Error).message}`);
  }
  const parsed = parseServers(value);
  if (!parsed.ok)
    throw new Error(
      `servers file ${path}: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    );
  return parsed.servers;
}
