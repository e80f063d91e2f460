import { describe, expect, it } from "vitest";
import { memberSpan, memberSpans, setAt, spanAt } from "../../../main/core/proxy/raw-json.js";

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

describe("setAt", () => {
  const big = '{"id":1,"params":{"n":18446744073709551616,"f":1.0}}';
  it.each([
    ["replaces a value where it is", big, ["params", "n"], "2", '{"id":1,"params":{"n":2,"f":1.0}}'],
    [
      "adds a missing member first, the rest as written",
      big,
      ["params", "_meta"],
      '{"k":1}',
      '{"id":1,"params":{"_meta":{"k":1},"n":18446744073709551616,"f":1.0}}',
    ],
    [
      "adds the objects missing around it",
      '{"id":1}',
      ["params", "_meta", "k"],
      "true",
      '{"params":{"_meta":{"k":true}},"id":1}',
    ],
    ["adds to an empty object", '{"params":{ }}', ["params", "a"], "1", '{"params":{"a":1 }}'],
    ["leaves a path through a non-object alone", '{"params":[1]}', ["params", "a"], "1", '{"params":[1]}'],
  ] as const)("%s", (_name, text, path, json, expected) => {
    const out = setAt(text, path, json);
    expect(out).toBe(expected);
    JSON.parse(out);
  });
});
