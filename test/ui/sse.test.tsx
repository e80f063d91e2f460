import { describe, expect, it } from "vitest";
import { type SseMessage, SseParser } from "../../renderer/src/bridge/sse.js";

function feed(chunks: string[]): SseMessage[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe("SseParser", () => {
  it.each<[string, string[], SseMessage[]]>([
    [
      "one event in one chunk",
      ['event: call\ndata: {"id":"1"}\n\n'],
      [{ event: "call", data: '{"id":"1"}' }],
    ],
    [
      "an event split across chunks mid-line",
      ["event: ca", 'll\ndata: {"i', 'd":"1"}\n', "\n"],
      [{ event: "call", data: '{"id":"1"}' }],
    ],
    ["CRLF line ends", ["event: denyAll\r\ndata: {}\r\n\r\n"], [{ event: "denyAll", data: "{}" }]],
    ["a CRLF split between chunks", ["event: a\r", "\ndata: 1\r", "\n\r", "\n"], [{ event: "a", data: "1" }]],
    ["CR-only line ends", ["event: a\rdata: 1\r\r"], [{ event: "a", data: "1" }]],
    [
      "comments and pings are ignored",
      [": mcp-warden events\n\n: ping\n\nevent: a\ndata: x\n\n"],
      [{ event: "a", data: "x" }],
    ],
    ["data lines join with newlines", ["data: one\ndata: two\n\n"], [{ event: "message", data: "one\ntwo" }]],
    [
      "only one space after the colon is dropped",
      ["data:  two spaces\n\n"],
      [{ event: "message", data: " two spaces" }],
    ],
    ["a field with no colon", ["data\n\n"], [{ event: "message", data: "" }]],
    ["an event without a blank line is not dispatched yet", ["event: a\ndata: 1\n"], []],
    ["an event with no data is not dispatched", ["event: a\n\n"], []],
    [
      "two events, and the name resets between them",
      ["event: a\ndata: 1\n\ndata: 2\n\n"],
      [
        { event: "a", data: "1" },
        { event: "message", data: "2" },
      ],
    ],
  ])("%s", (_name, chunks, expected) => {
    expect(feed(chunks)).toEqual(expected);
  });
});
