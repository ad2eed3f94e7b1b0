import { type FileHandle, open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { OVERSIZED_LINE } from "../ingest/source.ts";

/**
 * `tail -F` for one log file, by polling (portable, no inotify limits, never a busy loop):
 * - every `pollMs` the open file is read to its end; complete lines are handed on, a trailing partial line
 *   waits for its newline;
 * - rotation: when the path names another file (inode or device changed, e.g. after `mv log log.1` and a
 *   new `log`), the old file is read to its end first (lines the writer added before switching), its last
 *   partial line is handed on as a line, and the new file is read from its start;
 * - truncation: when the file is shorter than what was read (`> log`, copytruncate), reading restarts at
 *   its start (a partial line held from before is dropped and counted);
 * - a missing file is waited for (and read from its start when it appears).
 * Limits (as tail's): a file truncated and rewritten past the old read position within one poll is not
 * seen as truncated; a file rotated twice within one poll loses the middle file's lines.
 * Lines are latin1-decoded (lossless), without line breaks; lines over `maxLineBytes` become OVERSIZED_LINE.
 */

export interface FollowOptions {
  pollMs?: number;
  /** Read what the file already holds (default: start at its end, as tail -F with -n 0). */
  fromStart?: boolean;
  maxLineBytes?: number;
  signal?: AbortSignal;
  /** Called between polls while idle (a chance to advance wall-clock watermarks). */
  onIdle?: () => Promise<void> | void;
}

export interface FollowBatch {
  file: string;
  lines: string[];
  /** 1-based line number of lines[0] in the current file (restarts after rotation or truncation). */
  firstLine: number;
}

export interface FollowStats {
  rotations: number;
  truncations: number;
  /** Partial lines dropped at a truncation. */
  droppedPartial: number;
  bytes: number;
}

const CHUNK = 1 << 20;

export class FileFollower {
  readonly stats: FollowStats = { rotations: 0, truncations: 0, droppedPartial: 0, bytes: 0 };
  private fh: FileHandle | undefined;
  private ino = -1;
  private dev = -1;
  private pos = 0;
  private carry = "";
  private skipping = false;
  private lineNo = 1;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(
    readonly path: string,
    private readonly opts: FollowOptions = {},
  ) {}

  /** Batches of new lines until the signal aborts; the last held partial line is handed on at the end. */
  async *batches(): AsyncGenerator<FollowBatch> {
    const pollMs = this.opts.pollMs ?? 500;
    const signal = this.opts.signal;
    let first = true;
    try {
      while (!signal?.aborted) {
        if (this.fh === undefined) {
          if (await this.openPath(first ? !this.opts.fromStart : false)) continue;
        } else {
          for await (const b of this.readToEnd()) yield b;
          const rotated = await this.checkPath();
          if (rotated) {
            for await (const b of this.readToEnd()) yield b;
            const last = this.takeCarry();
            if (last) yield last;
            await this.fh.close();
            this.fh = undefined;
            this.stats.rotations++;
            first = false;
            continue;
          }
        }
        first = false;
        await this.opts.onIdle?.();
        if (signal?.aborted) break;
        try {
          await sleep(pollMs, undefined, { signal });
        } catch {
          break;
        }
      }
      if (this.fh) for await (const b of this.readToEnd()) yield b;
      const last = this.takeCarry();
      if (last) yield last;
    } finally {
      await this.fh?.close();
      this.fh = undefined;
    }
  }

  /** Opens the path; false when it does not exist (yet). */
  private async openPath(atEnd: boolean): Promise<boolean> {
    try {
      const fh = await open(this.path, "r");
      const st = await fh.stat();
      this.fh = fh;
      this.ino = st.ino;
      this.dev = st.dev;
      this.pos = atEnd ? st.size : 0;
      this.carry = "";
      this.skipping = false;
      this.lineNo = 1;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }

  /** True when the path now names another file than the open one. */
  private async checkPath(): Promise<boolean> {
    try {
      const st = await stat(this.path);
      return st.ino !== this.ino || st.dev !== this.dev;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false; // renamed, new one not there yet
      throw e;
    }
  }

  private async *readToEnd(): AsyncGenerator<FollowBatch> {
    const fh = this.fh;
    if (!fh) return;
    const size = (await fh.stat()).size;
    if (size < this.pos) {
      this.stats.truncations++;
      if (this.carry || this.skipping) this.stats.droppedPartial++;
      this.pos = 0;
      this.carry = "";
      this.skipping = false;
      this.lineNo = 1;
    }
    for (;;) {
      const { bytesRead } = await fh.read(this.buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      this.stats.bytes += bytesRead;
      const b = this.split(this.buf.toString("latin1", 0, bytesRead));
      if (b) yield b;
    }
  }

  private split(chunk: string): FollowBatch | undefined {
    const max = this.opts.maxLineBytes ?? 1 << 16;
    const text = this.carry ? this.carry + chunk : chunk;
    this.carry = "";
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
      let e = nl;
      if (e > start && text.charCodeAt(e - 1) === 13) e--;
      lines.push(this.skipping || e - start > max ? OVERSIZED_LINE : text.slice(start, e));
      this.skipping = false;
      start = nl + 1;
    }
    if (start < text.length && !this.skipping) {
      if (text.length - start > max) this.skipping = true;
      else this.carry = text.slice(start);
    }
    if (lines.length === 0) return undefined;
    const b = { file: this.path, lines, firstLine: this.lineNo };
    this.lineNo += lines.length;
    return b;
  }

  /** The held partial line as a batch of its own (end of a rotated file, end of watching). */
  private takeCarry(): FollowBatch | undefined {
    if (!this.carry && !this.skipping) return undefined;
    const line = this.skipping ? OVERSIZED_LINE : this.carry;
    this.carry = "";
    this.skipping = false;
    const b = { file: this.path, lines: [line], firstLine: this.lineNo };
    this.lineNo++;
    return b;
  }
}
