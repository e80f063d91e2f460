import { describe, expect, it } from "vitest";
import { cutOwn } from "../../main/core/cut.js";

describe("cutOwn", () => {
  it("is the start of the text, every character kept, a lone surrogate at the cut included", () => {
    const text = `ab😀${"x".repeat(100)}`;
    expect(cutOwn(text, 3)).toBe(text.slice(0, 3));
    expect(cutOwn(text, 3).charCodeAt(2)).toBe(0xd83d);
    expect(cutOwn(text, 50)).toBe(text.slice(0, 50));
    expect(cutOwn("short", 50)).toBe("short");
    expect(cutOwn("ÿé€", 2)).toBe("ÿé");
  });
});
