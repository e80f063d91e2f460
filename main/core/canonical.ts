/** Canonical JSON (sorted keys) and its hash: what binds an approval to one exact call. */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    // Own properties only, defined (not assigned): an own "__proto__" key stays a key and is hashed.
    const sorted: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(v).sort()) {
      Object.defineProperty(sorted, k, { value: (v as Record<string, unknown>)[k], enumerable: true });
    }
    return sorted;
  });
}

/** SHA-256 (hex) of a call's server, tool and canonical arguments. */
export function callHash(server: string, tool: string, args: unknown): string {
  return createHash("sha256")
    .update(canonicalJson([server, tool, args ?? {}]))
    .digest("hex");
}
