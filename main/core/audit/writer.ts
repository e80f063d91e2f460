/**
 * Appends chained lines to the active audit file, each written whole or not at all. A write the system
 * cuts short (a full disk writes what fits and fails after) is a failure: the bytes that did land are cut
 * off again, so the next line starts where the torn one began; if they cannot be cut off, every later write
 * is refused until they are, because a line glued onto a torn one would be lost with it.
 */
import { chainedLine, GENESIS, lineHash } from "./chain.js";
import type { AuditIo } from "./options.js";

/** A record could not be written whole: the caller must not act as if it were on disk. */
export class AuditWriteError extends Error {
  override readonly name: string = "AuditWriteError";
}

/** The last line written: the next one links to it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** One open active file and the head of the chain. */
export class AuditWriter {
  readonly #io: AuditIo;
  #fd: number | undefined;
  #size = 0;
  #head: ChainHead = { seq: 0, hash: GENESIS };
  /** Whether the file can be cut back (a regular file, not a device or a pipe). */
  #regular = true;
  /** Torn bytes from this offset on could not be removed: nothing more is written until they are. */
  #tornAt: number | undefined;

  constructor(io: AuditIo) {
    this.#io = io;
  }

  /** Starts appending to `fd` (opened with O_APPEND), which holds `size` bytes and ends with `head`. */
  attach(fd: number, size: number, head: ChainHead, regular: boolean): void {
    this.#fd = fd;
    this.#size = size;
    this.#head = head;
    this.#regular = regular;
    this.#tornAt = undefined;
  }

  /** Stops appending; returns the descriptor for the caller to close. */
  detach(): number | undefined {
    const fd = this.#fd;
    this.#fd = undefined;
    return fd;
  }

  get isOpen(): boolean {
    return this.#fd !== undefined;
  }

  get head(): ChainHead {
    return this.#head;
  }

  /** Bytes in the active file, as far as whole lines go. */
  get size(): number {
    return this.#size;
  }

  /** Writes `body` (a JSON object's text) as the next line of the chain; throws unless every byte was written. */
  append(body: string): { bytes: number; head: ChainHead } {
    const fd = this.#fd;
    if (fd === undefined) throw new Error("the audit log is not open");
    if (this.#tornAt !== undefined) this.#cutBack(fd, this.#tornAt);
    const seq = this.#head.seq + 1;
    const line = Buffer.from(`${chainedLine(seq, this.#head.hash, body)}\n`);
    let written = 0;
    let cause = "";
    while (written < line.length) {
      let n: number;
      try {
        n = this.#io.write(fd, line, written, line.length - written);
      } catch (error) {
        cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        break;
      }
      if (!(n > 0)) {
        cause = "nothing more was written";
        break;
      }
      written += n;
    }
    if (written < line.length) {
      let after = "";
      if (written > 0) {
        this.#tornAt = this.#size;
        try {
          this.#cutBack(fd, this.#size);
          after = "; the partial record was removed";
        } catch (error) {
          after = `; ${(error as Error).message}`;
        }
      }
      throw new AuditWriteError(
        `the audit record was not written whole (${written} of ${line.length} bytes: ${cause})${after}`,
      );
    }
    this.#size += line.length;
    this.#head = { seq, hash: lineHash(line.subarray(0, line.length - 1)) };
    return { bytes: line.length, head: this.#head };
  }

  #cutBack(fd: number, at: number): void {
    if (!this.#regular) {
      throw new AuditWriteError(
        "the audit log ends in a torn record that cannot be removed (not a regular file); nothing is written until it is repaired",
      );
    }
    try {
      this.#io.truncate(fd, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new AuditWriteError(
        `the audit log ends in a torn record at byte ${at} that could not be removed (${code}); nothing is written until it is (a restart repairs it)`,
      );
    }
    this.#tornAt = undefined;
  }
}
