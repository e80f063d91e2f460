/**
 * Makes characters that can disguise text visible, so an agent cannot hide what a call targets:
 * control characters, invisible and bidirectional formatting (zero-width spaces, `U+202E` overrides,
 * tag characters), unusual spaces, combining marks, and every other non-ASCII character (Cyrillic `а`
 * in `prod-dаtabase` looks like Latin `a`). Each becomes a segment the view shows as an escape badge.
 */

/** Why a character is shown as an escape. */
export type RevealKind = "control" | "invisible" | "bidi" | "space" | "mark" | "lookalike";

/** A run of plain text, or one revealed character. */
export type Segment =
  | { kind: "text"; text: string }
  | { kind: RevealKind; char: string; escape: string; label: string };

const NAMES: Record<number, string> = {
  160: "NO-BREAK SPACE",
  173: "SOFT HYPHEN",
  847: "COMBINING GRAPHEME JOINER",
  1564: "ARABIC LETTER MARK",
  4447: "HANGUL CHOSEONG FILLER",
  4448: "HANGUL JUNGSEONG FILLER",
  6158: "MONGOLIAN VOWEL SEPARATOR",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8232: "LINE SEPARATOR",
  8233: "PARAGRAPH SEPARATOR",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8236: "POP DIRECTIONAL FORMATTING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  10240: "BRAILLE PATTERN BLANK",
  12288: "IDEOGRAPHIC SPACE",
  12644: "HANGUL FILLER",
  65279: "ZERO WIDTH NO-BREAK SPACE",
  65440: "HALFWIDTH HANGUL FILLER",
};

const BIDI = new Set([
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
]);
/** Letters that render as nothing (they are not format characters, so \p{Cf} misses them). */
const BLANK_LETTERS = new Set([0x115f, 0x1160, 0x2800, 0x3164, 0xffa0]);

/** Common letters from other scripts that look like ASCII ones (NFKC covers fullwidth and math letters). */
const LOOKALIKES: Record<string, string> = {
  а: "a",
  в: "B",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  ѕ: "s",
  і: "i",
  ј: "j",
  ԁ: "d",
  һ: "h",
  ӏ: "l",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  І: "I",
  Ј: "J",
  Ѕ: "S",
  α: "a",
  ο: "o",
  ν: "v",
  ρ: "p",
  ι: "i",
  Α: "A",
  Β: "B",
  Ε: "E",
  Η: "H",
  Ι: "I",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Χ: "X",
  Υ: "Y",
  Ζ: "Z",
  ı: "i",
  ɑ: "a",
  ɡ: "g",
  ℓ: "l",
};

/** `\u202E`, or `\u{E0041}` beyond the basic plane. */
export function escapeOf(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase();
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, "0")}`;
}

/** `U+202E`. */
function codeOf(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Classifies one character; undefined for plain ASCII. */
function classify(char: string, allowNewlines: boolean): { kind: RevealKind; label: string } | undefined {
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0x20 && code < 0x7f) return undefined;
  if (char === "\n" && allowNewlines) return undefined;
  const named = NAMES[code];
  const u = codeOf(code);
  if (BIDI.has(code)) return { kind: "bidi", label: `${u} ${named} (reorders text)` };
  if (/\p{Cc}/u.test(char)) return { kind: "control", label: `${u} control character` };
  if (code >= 0xe0000 && code <= 0xe007f) {
    const hidden =
      code >= 0xe0020 && code <= 0xe007e ? ` hiding "${String.fromCodePoint(code - 0xe0000)}"` : "";
    return { kind: "invisible", label: `${u} tag character${hidden}` };
  }
  if (/\p{Cf}|\p{Cs}|\p{Co}|\p{Cn}/u.test(char) || BLANK_LETTERS.has(code))
    return { kind: "invisible", label: `${u} ${named ?? "invisible or unassigned character"}` };
  if (/\p{Z}/u.test(char)) return { kind: "space", label: `${u} ${named ?? "unusual space"}` };
  if (/\p{M}/u.test(char))
    return { kind: "mark", label: `${u} ${named ?? "combining mark"} (changes the letter before it)` };
  const normal = char.normalize("NFKC");
  const like = LOOKALIKES[char] ?? (/^[\x21-\x7e]+$/.test(normal) ? normal : undefined);
  return {
    kind: "lookalike",
    label: `${u} "${char}", not ASCII${like ? ` — looks like "${like}"` : ""}`,
  };
}

/**
 * Splits text into plain runs and revealed characters. `allowNewlines` keeps line feeds as text (for
 * pretty-printed JSON, whose strings escape their own newlines).
 */
export function revealUnicode(text: string, { allowNewlines = false } = {}): Segment[] {
  const segments: Segment[] = [];
  let run = "";
  for (const char of text) {
    const found = classify(char, allowNewlines);
    if (!found) {
      run += char;
      continue;
    }
    if (run) segments.push({ kind: "text", text: run });
    run = "";
    segments.push({ ...found, char, escape: escapeOf(char) });
  }
  if (run) segments.push({ kind: "text", text: run });
  return segments;
}

/** The distinct revealed characters, for a warning above the arguments. */
export function revealedCharacters(
  segments: readonly Segment[],
): { escape: string; label: string; count: number }[] {
  const found = new Map<string, { escape: string; label: string; count: number }>();
  for (const s of segments) {
    if (s.kind === "text") continue;
    const entry = found.get(s.escape);
    if (entry) entry.count += 1;
    else found.set(s.escape, { escape: s.escape, label: s.label, count: 1 });
  }
  return [...found.values()];
}

/** The text with each revealed character written as its escape, for one-line places (list rows). */
export function escapeDisguises(text: string): string {
  return revealUnicode(text)
    .map((s) => (s.kind === "text" ? s.text : s.escape))
    .join("");
}
