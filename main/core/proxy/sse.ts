/**
 * Server-sent events read from a fetch response body, one event at a time, with a cap on one event's
 * data so a peer cannot make the warden hold an unbounded string.
 */

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** What a stream has said about resuming it: the last event id and the delay the server asked for. */
export interface SseResume {
  lastEventId?: string;
  retryMs?: number;
}

/** Thrown when one event's data is over the cap. */
export class EventTooLargeError extends Error {}

/** Reads events from `body` until it ends; `onEvent` is called for each in order. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  maxEventBytes: number,
  onEvent: (event: SseEvent) => void,
  resume: SseResume = {},
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let dataSize = 0;
  let event = "";
  let id: string | undefined;
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0)
        onEvent({ event: event || "message", data: data.join("\n"), ...(id ? { id } : {}) });
      data = [];
      dataSize = 0;
      event = "";
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      dataSize += value.length;
      if (dataSize > maxEventBytes) throw new EventTooLargeError(`an event over ${maxEventBytes} bytes`);
      data.push(value);
    } else if (field === "event") event = value;
    else if (field === "id") {
      id = value;
      resume.lastEventId = value;
    } else if (field === "retry" && /^\d+$/.test(value)) resume.retryMs = Number(value);
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n", start)) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
      line(buffer.slice(start, end));
      start = nl + 1;
    }
    buffer = buffer.slice(start);
    if (buffer.length > maxEventBytes) throw new EventTooLargeError(`an event over ${maxEventBytes} bytes`);
  }
  buffer += decoder.decode();
  if (buffer) line(buffer);
  line("");
}
