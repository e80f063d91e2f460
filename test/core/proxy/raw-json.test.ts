import { describe, expect, it } from "vitest";
import { memberSpan, memberSpans, spanAt } from "../../../main/core/proxy/raw-json.js";

const cases: [name: string, text: string, key: string][] = [
  ["a plain key", '{"jsonrpc":"2.0","id":7,"method":"tools/call"}', "id"],
  ["a key after nested values", '{"a":{"id":1},"b":["id"],"id":"x"}', "id"],
  ["a repeated key (the last one, as JSON.parse keeps)", '{"id":1,"id":2}', "id"],
  ["an escaped key", '{"\\u0069d":3}', "id"],
  ["a key that only starts like the one sought", '{"idx":1,"i":2}', "id"],
  ["a key holding a backslash", '{"a\\\\b":1}', "a\\b"],
  ["spaces around the tokens", '{ "id" : 5 , "x" : 1 }', "id"],
  ["an absent key", '{"idx":1}', "id"],
  ["an empty object", "{}", "id"],
];

describe("memberSpan", () => {
  it.each(cases)("finds %s where memberSpans does", (_name, text, key) => {
    expect(memberSpan(text, 0, key)).toEqual(memberSpans(text, 0).get(key));
  });

  it("a value that is not an object has no members", () => {
    expect(memberSpan('["id",1]', 0, "id")).toBeUndefined();
  });

  it("spanAt walks a path through nested objects", () => {
    const text = '{"params":{"_meta":{"progressToken":"t-1"},"name":"echo"}}';
    const span = spanAt(text, ["params", "_meta", "progressToken"]);
    expect(span && text.slice(span[0], span[1])).toBe('"t-1"');
    expect(spanAt(text, ["params", "missing"])).toBeUndefined();
  });
});
