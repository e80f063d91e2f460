/**
 * The start of a string, as a string of its own. V8 keeps a slice of a long string as a view of the
 * whole, so a short preview kept for long (the call ring, results, error texts, stderr lines) would keep
 * a whole request or answer alive with it: 8 KB kept of a 100 KB body would hold the 100 KB. The copy
 * goes through UTF-16 code units, so it keeps every character, a lone surrogate at the cut included. A text
 * no longer than `max` is returned as it is: callers pass whole strings of their own (a parsed value, a
 * message's text), never a slice of something larger.
 */
export function cutOwn(text: string, max: number): string {
  return text.length <= max ? text : Buffer.from(text.slice(0, max), "utf16le").toString("utf16le");
}
