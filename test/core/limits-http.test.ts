import { describe, expect, it } from "vitest";
import {
  CEILINGS,
  connectionCaps,
  MIN_CONNECTIONS,
  MIN_FILE_LIMIT,
  ownDescriptors,
  softFileLimit,
} from "../../main/core/limits-http.js";

describe("connection caps from the open-file limit", () => {
  it.each([
    [undefined, CEILINGS],
    [1_048_576, CEILINGS],
    [4096, CEILINGS],
    [2048, { total: 1536, unclaimed: 768, perGrant: 192, adminReserve: 24, fileLimit: 2048 }],
    [1024, { total: 768, unclaimed: 384, perGrant: 96, adminReserve: 12, fileLimit: 1024 }],
    [256, { total: 192, unclaimed: 96, perGrant: 24, adminReserve: 8, fileLimit: 256 }],
    [128, { total: 64, unclaimed: 32, perGrant: 8, adminReserve: 8, fileLimit: 128 }],
    [64, { total: 64, unclaimed: 32, perGrant: 8, adminReserve: 8, fileLimit: 64, tooFewFiles: true }],
  ])("a limit of %s gives %o", (limit, caps) => {
    expect(connectionCaps(limit)).toEqual(caps);
  });

  it("never exceed the ceilings, and leave the warden its own descriptors from MIN_FILE_LIMIT up", () => {
    for (let limit = MIN_FILE_LIMIT; limit <= 10_000; limit++) {
      const caps = connectionCaps(limit);
      expect(caps.total + ownDescriptors(limit)).toBeLessThanOrEqual(limit);
      expect(caps.total).toBeLessThanOrEqual(CEILINGS.total);
      expect(caps.total).toBeGreaterThanOrEqual(MIN_CONNECTIONS);
      expect(caps.unclaimed).toBeLessThanOrEqual(CEILINGS.unclaimed);
      expect(caps.perGrant).toBeLessThanOrEqual(CEILINGS.perGrant);
      expect(caps.adminReserve).toBeLessThanOrEqual(CEILINGS.adminReserve);
      // MCP clients together never reach the admin's reserve.
      expect(caps.total - caps.unclaimed - caps.adminReserve).toBeGreaterThan(0);
      expect(caps.tooFewFiles).toBeUndefined();
    }
    expect(connectionCaps(MIN_FILE_LIMIT - 1).tooFewFiles).toBe(true);
  });

  it("reads the soft limit from /proc/self/limits text", () => {
    const text = (soft: string, hard: string) =>
      `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             63457                63457                processes \nMax open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     \n`;
    expect(softFileLimit(text("256", "4096"))).toBe(256);
    expect(softFileLimit(text("unlimited", "unlimited"))).toBeUndefined();
    expect(softFileLimit("no such line")).toBeUndefined();
  });
});
