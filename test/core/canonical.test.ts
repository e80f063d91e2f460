/** The call hash binds an approval to one exact call, whatever keys the arguments use. */
import { describe, expect, it } from "vitest";
import { callHash, canonicalJson } from "../../main/core/canonical.js";

describe("canonical JSON and the call hash", () => {
  it("ignores key order and nothing else", () => {
    expect(callHash("s", "t", { a: 1, b: { c: 2, d: 3 } })).toBe(
      callHash("s", "t", { b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(callHash("s", "t", { a: 1 })).not.toBe(callHash("s", "t", { a: 2 }));
    expect(callHash("s", "t", { a: 1 })).not.toBe(callHash("s", "u", { a: 1 }));
  });

  it("hashes a nested own __proto__ key (as JSON.parse makes it) like any other key", () => {
    const plain = JSON.parse('{"vm_name":"web","opts":{}}');
    const sneaky = JSON.parse('{"vm_name":"web","opts":{"__proto__":{"force":true}}}');
    expect(canonicalJson(sneaky)).toContain('"__proto__":{"force":true}');
    expect(callHash("s", "stop_vm", sneaky)).not.toBe(callHash("s", "stop_vm", plain));
  });
});
