/**
 * Reading audit files line by line: forwards (to verify, to replay a tail) and backwards (to refill the
 * ring, to page back through history), plain or gzip-compressed, in bounded memory.
 */
import { createReadStream, readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

/** A line read forwards: its bytes (without the newline), where it starts, and whether a newline ended it. */
export interface ForwardLine {
  bytes: Buffer;
  start: number;
  terminated: boolean;
}

/** A line read backwards: its text and where it starts (in the file, or in the decompressed stream). */
export interface BackwardLine {
  text: string;
  start: number;
}

/** Splits a stream of chunks into lines, every physical line (empty ones too) in order. */
export async function* splitLines(chunks: AsyncIterable<Buffer>, offset = 0): AsyncGenerator<ForwardLine> {
  let pending: Buffer[] = [];
  let pendingStart = offset;
  let position = offset;
  for await (const chunk of chunks) {
    let from = 0;
    let nl = chunk.indexOf(0x0a, from);
    while (nl >= 0) {
      const piece = chunk.subarray(from, nl);
      const bytes = pending.length ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      yield { bytes, start: pendingStart, terminated: true };
      pendingStart = position + nl + 1;
      from = nl + 1;
      nl = chunk.indexOf(0x0a, from);
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
    position += chunk.length;
  }
  if (pending.length) yield { bytes: Buffer.concat(pending), start: pendingStart, terminated: false };
}

/** The lines of a file from `start`, forwards; a compressed file is decompressed as it is read. */
export function linesForward(path: string, compressed: boolean, start = 0): AsyncGenerator<ForwardLine> {
  const input = createReadStream(path, compressed ? {} : { start });
  if (!compressed) return splitLines(input, start);
  // pipeline, not pipe: a reader that stops early destroys the decompressor, and that closes the file.
  return splitLines(
    pipeline(input, createGunzip(), () => {}),
    0,
  );
}

async function readAt(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new Error("the file shrank while it was read");
    done += bytesRead;
  }
}

/** The non-empty lines of a plain file before byte `end` (default: its size), last first, in 1 MiB chunks. */
export async function* plainLinesBackward(
  path: string,
  end?: number,
  chunkSize = 1 << 20,
): AsyncGenerator<BackwardLine> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    let position = Math.min(end ?? Number.POSITIVE_INFINITY, (await handle.stat()).size);
    // The bytes after the newest newline not yet matched with the start of their line, in file order.
    let tail: Buffer[] = [];
    while (position > 0) {
      const size = Math.min(chunkSize, position);
      position -= size;
      const chunk = Buffer.allocUnsafe(size);
      await readAt(handle, chunk, position);
      let lineEnd = size;
      let nl = chunk.lastIndexOf(0x0a, size - 1);
      while (nl >= 0) {
        const piece = chunk.subarray(nl + 1, lineEnd);
        const line = tail.length ? Buffer.concat([piece, ...tail]) : piece;
        tail = [];
        if (line.length) yield { text: line.toString("utf8"), start: position + nl + 1 };
        lineEnd = nl;
        nl = nl > 0 ? chunk.lastIndexOf(0x0a, nl - 1) : -1;
      }
      if (lineEnd > 0) tail.unshift(chunk.subarray(0, lineEnd));
    }
    if (tail.length) yield { text: Buffer.concat(tail).toString("utf8"), start: 0 };
  } finally {
    await handle.close();
  }
}

/**
 * The non-empty lines of a gzip file, last first. A gzip stream can only be read forwards, so each pass
 * decompresses from the start and keeps one window of lines (32 MiB by default): the first pass keeps the
 * last window, each further pass the window before; memory stays bounded whatever the file's size.
 */
export async function* gzipLinesBackward(path: string, windowBytes = 32 << 20): AsyncGenerator<BackwardLine> {
  let kept: BackwardLine[] = [];
  let first = 0;
  let keptBytes = 0;
  for await (const line of linesForward(path, true)) {
    if (!line.bytes.length) continue;
    kept.push({ text: line.bytes.toString("utf8"), start: line.start });
    keptBytes += line.bytes.length;
    while (keptBytes > windowBytes && first < kept.length - 1) {
      keptBytes -= Buffer.byteLength((kept[first] as BackwardLine).text);
      first++;
    }
    if (first > 4_096) {
      kept = kept.slice(first);
      first = 0;
    }
  }
  let low = kept[first]?.start ?? 0;
  for (let i = kept.length - 1; i >= first; i--) yield kept[i] as BackwardLine;
  while (low > 0) {
    const from = Math.max(0, low - windowBytes);
    const window: BackwardLine[] = [];
    for await (const line of linesForward(path, true)) {
      if (line.start >= low) break;
      if (line.start >= from && line.bytes.length)
        window.push({ text: line.bytes.toString("utf8"), start: line.start });
    }
    for (let i = window.length - 1; i >= 0; i--) yield window[i] as BackwardLine;
    low = from;
  }
}

/** The non-empty lines of an audit file, last first. */
export function linesBackward(path: string, compressed: boolean, end?: number): AsyncGenerator<BackwardLine> {
  return compressed ? gzipLinesBackward(path) : plainLinesBackward(path, end);
}

/** Where the last line of the first `size` bytes of an open file starts (after the newline before it). */
export function lastLineStart(fd: number, size: number, chunkSize = 1 << 16): number {
  let position = size;
  const chunk = Buffer.allocUnsafe(chunkSize);
  while (position > 0) {
    const n = Math.min(chunkSize, position);
    position -= n;
    readSync(fd, chunk, 0, n, position);
    const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (nl >= 0) return position + nl + 1;
  }
  return 0;
}

/** The bytes from `start` to `end` of an open file. */
export function readRange(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/**
 * The last non-empty line of the first `size` bytes of an open file: its bytes, where it starts, and whether
 * a newline ends it; undefined for a file of blank lines.
 */
export function lastLine(
  fd: number,
  size: number,
): { bytes: Buffer; start: number; terminated: boolean } | undefined {
  let end = size;
  const byte = Buffer.alloc(1);
  let terminated = false;
  while (end > 0) {
    readSync(fd, byte, 0, 1, end - 1);
    if (byte[0] !== 0x0a) break;
    terminated = true;
    end--;
  }
  if (end === 0) return undefined;
  const start = lastLineStart(fd, end);
  return { bytes: readRange(fd, start, end), start, terminated };
}
