import { describe, expect, it } from "vitest";
import {
  escapeDisguises,
  escapeOf,
  revealedCharacters,
  revealUnicode,
  type Segment,
} from "../../renderer/src/approvals/reveal.js";

/** The segments as `text` or `[kind escape]`, compact to compare. */
function show(segments: Segment[]): string {
  return segments.map((s) => (s.kind === "text" ? s.text : `[${s.kind} ${s.escape}]`)).join("");
}

describe("revealUnicode", () => {
  it.each([
    ["plain ASCII stays as it is", "stop_vm dev-web 42", "stop_vm dev-web 42"],
    ["a right-to-left override", "prod\u202Egpj.exe", "prod[bidi \\u202E]gpj.exe"],
    ["a left-to-right isolate and its pop", "a\u2066b\u2069", "a[bidi \\u2066]b[bidi \\u2069]"],
    ["a zero-width space", "prod\u200Bdb", "prod[invisible \\u200B]db"],
    [
      "a zero-width joiner and a byte-order mark",
      "a\u200D\uFEFFb",
      "a[invisible \\u200D][invisible \\uFEFF]b",
    ],
    ["a soft hyphen", "pro\u00ADd", "pro[invisible \\u00AD]d"],
    ["Cyrillic a inside a Latin word", "prod-d\u0430tabase", "prod-d[lookalike \\u0430]tabase"],
    ["Greek omicron", "pr\u03BFd", "pr[lookalike \\u03BF]d"],
    ["fullwidth letters", "\uFF50rod", "[lookalike \\uFF50]rod"],
    ["a control character", "a\u0007b", "a[control \\u0007]b"],
    ["DEL and a C1 control", "a\u007F\u0085b", "a[control \\u007F][control \\u0085]b"],
    ["a newline, by default", "a\nb", "a[control \\u000A]b"],
    ["a no-break space", "a\u00A0b", "a[space \\u00A0]b"],
    ["an ideographic space", "a\u3000b", "a[space \\u3000]b"],
    ["a combining mark", "e\u0301", "e[mark \\u0301]"],
    ["a Hangul filler (a letter that renders as nothing)", "a\u3164b", "a[invisible \\u3164]b"],
    ["a tag character beyond the basic plane", "a\u{E0041}b", "a[invisible \\u{E0041}]b"],
    ["a variation selector", "a\uFE0Fb", "a[mark \\uFE0F]b"],
    ["an emoji (astral, visible, not ASCII)", "ok\u{1F600}", "ok[lookalike \\u{1F600}]"],
    ["a lone surrogate", "a\uD800b", "a[invisible \\uD800]b"],
  ])("%s", (_name, input, expected) => {
    expect(show(revealUnicode(input))).toBe(expected);
  });

  it("keeps newlines as text when asked (pretty JSON), still revealing the rest", () => {
    expect(show(revealUnicode('{\n  "a": "x\u202E"\n}', { allowNewlines: true }))).toBe(
      '{\n  "a": "x[bidi \\u202E]"\n}',
    );
  });

  it("labels say what each character is and what it looks like", () => {
    const [, bidi] = revealUnicode("a\u202E");
    expect(bidi).toMatchObject({ kind: "bidi", label: expect.stringContaining("RIGHT-TO-LEFT OVERRIDE") });
    const [, cyrillic] = revealUnicode("d\u0430");
    expect(cyrillic).toMatchObject({ label: expect.stringContaining('looks like "a"') });
    const [, tag] = revealUnicode("a\u{E0041}");
    expect(tag).toMatchObject({ label: expect.stringContaining('hiding "A"') });
  });

  it("never drops or reorders a character: the text joins back to the input", () => {
    const input = "x\u202Ey\u200Bz\u0430\u{E0041}\u0007 ok";
    const joined = revealUnicode(input)
      .map((s) => (s.kind === "text" ? s.text : s.char))
      .join("");
    expect(joined).toBe(input);
  });
});

describe("escapeOf", () => {
  it.each([
    ["\u202E", "\\u202E"],
    ["\u0007", "\\u0007"],
    ["\u{E0041}", "\\u{E0041}"],
  ])("%j → %s", (char, expected) => {
    expect(escapeOf(char)).toBe(expected);
  });
});

describe("escapeDisguises and revealedCharacters", () => {
  it("writes disguising characters as escapes in one line", () => {
    expect(escapeDisguises("prod-d\u0430ta\u202Ebase")).toBe("prod-d\\u0430ta\\u202Ebase");
  });

  it("counts each distinct revealed character once, with how often it occurs", () => {
    const found = revealedCharacters(revealUnicode("\u200Ba\u200Bb\u202E"));
    expect(found.map((f) => [f.escape, f.count])).toEqual([
      ["\\u200B", 2],
      ["\\u202E", 1],
    ]);
  });
});
