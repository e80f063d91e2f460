/** How settings.json's "audit" object maps to the log's options: what is valid applies, the rest keeps its default. */
import { describe, expect, it } from "vitest";
import {
  auditOptions,
  auditOptionsFromSettings,
  DEFAULT_AUDIT_OPTIONS,
} from "../../../main/core/audit/options.js";

function settings(audit: unknown) {
  return { get: (key: string) => (key === "audit" ? audit : undefined), set: () => {} };
}

describe("audit options from settings", () => {
  it("the defaults: 1 GiB in all, 16 MiB files rotated daily, kept 90 days, refuse when full", () => {
    expect(DEFAULT_AUDIT_OPTIONS).toMatchObject({
      maxBytes: 1024 ** 3,
      maxFileBytes: 16 * 1024 ** 2,
      rotateAfterMs: 86_400_000,
      keepMs: 90 * 86_400_000,
      whenFull: "refuse",
      refusedArgsChars: 8 * 1024,
    });
    expect(auditOptionsFromSettings(settings(undefined))).toEqual({});
  });

  it("takes each valid value and leaves out each malformed one", () => {
    expect(
      auditOptionsFromSettings(
        settings({ maxMB: 512, maxFileMB: 4, rotateAfter: "6h", keepFor: "30d", whenFull: "drop-oldest" }),
      ),
    ).toEqual({
      maxBytes: 512 * 1024 ** 2,
      maxFileBytes: 4 * 1024 ** 2,
      rotateAfterMs: 6 * 3_600_000,
      keepMs: 30 * 86_400_000,
      whenFull: "drop-oldest",
    });
    expect(
      auditOptionsFromSettings(
        settings({ maxMB: -1, maxFileMB: "big", rotateAfter: "1w", whenFull: "panic" }),
      ),
    ).toEqual({});
    expect(auditOptions(auditOptionsFromSettings(settings({ keepFor: "7d" }))).keepMs).toBe(7 * 86_400_000);
  });
});
