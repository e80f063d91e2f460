/** A parser for server-sent events (the `text/event-stream` format), fed chunks as they arrive. */

/** One dispatched event. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Splits a stream into events as the HTML standard says: lines end with CRLF, LF or CR (a CRLF may be
 * split across chunks), a blank line dispatches, `:` starts a comment, one space after the colon is
 * dropped, `data` lines join with newlines, the event name defaults to "message".
 */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #skipLf = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    const out: SseMessage[] = [];
    let text = chunk;
    if (this.#skipLf && text.startsWith("\n")) text = text.slice(1);
    this.#skipLf = false;
    this.#buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      const line = this.#buffer.slice(0, match.index);
      const end = match.index + match[0].length;
      if (match[0] === "\r" && end === this.#buffer.length) this.#skipLf = true;
      this.#buffer = this.#buffer.slice(end);
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") {
      const message =
        this.#data.length > 0 ? { event: this.#event || "message", data: this.#data.join("\n") } : undefined;
      this.#event = "";
      this.#data = [];
      return message;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    return undefined;
  }
}
