/** Reading audit files backwards in bounded memory: chunk by chunk (plain) and window by window (gzip). */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { gzipLinesBackward, linesForward, plainLinesBackward } from "../../../main/core/audit/lines.js";
import { logDir } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Lines of varied length, some far longer than the chunks and windows below, some non-ASCII. */
const LINES = Array.from(
  { length: 400 },
  (_, i) => `{"i":${i},"x":"${"é".repeat(i % 7 === 0 ? 3_000 : i % 50)}"}`,
);

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

function files(): { plain: string; gz: string } {
  const dir = logDir();
  dirs.push(dir);
  const text = `${LINES.join("\n")}\n\n`;
  const plain = join(dir, "a.jsonl");
  const gz = join(dir, "a.jsonl.gz");
  writeFileSync(plain, text);
  writeFileSync(gz, gzipSync(text));
  return { plain, gz };
}

describe("reading backwards", () => {
  it("a plain file gives every non-empty line, last first, with where it starts, whatever the chunk size", async () => {
    const { plain } = files();
    for (const chunk of [64, 1_000, 1 << 20]) {
      const lines = await collect(plainLinesBackward(plain, undefined, chunk));
      expect(lines.map((l) => l.text)).toEqual([...LINES].reverse());
      const starts = LINES.map((_, i) =>
        Buffer.byteLength(
          LINES.slice(0, i)
            .map((l) => `${l}\n`)
            .join(""),
        ),
      );
      expect(lines.map((l) => l.start)).toEqual(starts.reverse());
    }
  });

  it("a gzip file gives the same lines in as many passes as its windows need", async () => {
    const { gz } = files();
    for (const window of [500, 20_000, 32 << 20]) {
      expect((await collect(gzipLinesBackward(gz, window))).map((l) => l.text)).toEqual([...LINES].reverse());
    }
  });

  it("reading forwards gives every physical line with its bytes, and whether a newline ended the last", async () => {
    const { plain, gz } = files();
    for (const [path, compressed] of [
      [plain, false],
      [gz, true],
    ] as const) {
      const lines = await collect(linesForward(path, compressed));
      expect(lines.map((l) => l.bytes.toString("utf8"))).toEqual([...LINES, ""]);
      expect(lines.every((l) => l.terminated)).toBe(true);
    }
    writeFileSync(plain, "a\nb");
    expect(
      (await collect(linesForward(plain, false))).map((l) => [l.bytes.toString(), l.terminated]),
    ).toEqual([
      ["a", true],
      ["b", false],
    ]);
  });
});
