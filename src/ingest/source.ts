import { createReadStream, existsSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { globSync } from "tinyglobby";
import { UserError } from "../core/errors.ts";

/** A batch of whole lines from one input, decoded as latin1 (one byte, one char: fast, and lossless). */
export interface LineBatch {
  /** Input name as the user gave it ("-" for stdin). */
  file: string;
  /** Lines of the batch, without their line breaks. */
  lines: string[];
  /** 1-based number of lines[0] in its file. */
  firstLine: number;
}

/** Files, globs, and "-" for stdin, expanded in order; a pattern that matches nothing is an error. */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    if (input === "-" || existsSync(input)) {
      if (input !== "-" && statSync(input).isDirectory()) throw new UserError(`${input}: is a directory`);
      out.push(input);
      continue;
    }
    if (/[*?[\]{}]/.test(input)) {
      const matched = globSync(input, { absolute: isAbsolute(input), expandDirectories: false })
        .filter((f) => statSync(f).isFile())
        .sort();
      if (matched.length === 0) throw new UserError(`${input}: no file matches`);
      out.push(...matched);
      continue;
    }
    throw new UserError(`${input}: no such file`);
  }
  return out;
}

/** Lines longer than this are dropped by default (counted, not read). */
export const MAX_LINE_BYTES = 1 << 16;

/** Stands in for a line longer than the limit: its bytes are dropped, its number is kept. */
export const OVERSIZED_LINE = "\u0000oversized";

const BLOCK = 1 << 20;

/**
 * Blocks of an input, gunzipped when it starts with the gzip magic bytes. The caller answers each block
 * with the bytes to put in front of the next one (the unfinished line at its end), or null. A plain file
 * is read ahead into two reused buffers: no new buffer and no concatenation per block. A block is valid
 * until the next is asked for.
 */
async function* blocks(file: string, room: number): AsyncGenerator<Buffer, void, Buffer | null> {
  if (file !== "-") {
    // two buffers: the next block is read while the caller works on this one; each leaves `room` bytes
    // in front of the data for the prefix, so joining the unfinished line copies only that line
    const fh = await open(file, "r");
    const bufs = [Buffer.allocUnsafe(room + BLOCK), Buffer.allocUnsafe(room + BLOCK)];
    let pending = fh.read(bufs[0], room, BLOCK, null);
    try {
      let { bytesRead } = await pending;
      const gzip = bytesRead >= 2 && bufs[0][room] === 0x1f && bufs[0][room + 1] === 0x8b;
      if (!gzip) {
        let k = 0;
        let prefix: Buffer | null = null;
        while (bytesRead > 0) {
          const cur = bufs[k];
          k ^= 1;
          pending = fh.read(bufs[k], room, BLOCK, null);
          const p: number = prefix === null ? 0 : prefix.copy(cur, room - prefix.length);
          prefix = yield cur.subarray(room - p, room + bytesRead);
          ({ bytesRead } = await pending);
        }
        return;
      }
    } finally {
      await pending.catch(() => undefined);
      await fh.close();
    }
  }
  const raw: Readable = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: BLOCK });
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  const chunks =
    first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b
      ? (Readable.from(all()).pipe(createGunzip({ chunkSize: BLOCK })) as AsyncIterable<Buffer>)
      : all();
  let prefix: Buffer | null = null;
  for await (const chunk of chunks) prefix = yield prefix === null ? chunk : Buffer.concat([prefix, chunk]);
}

/**
 * Whole lines of an input as bytes, one read chunk at a time: `data` holds whole lines (each with its
 * '\n', except a final line without one). A line longer than maxLineBytes is dropped as it streams past;
 * `skippedFirst` says one such line comes before `data` (its number is kept).
 */
export interface ByteBatch {
  file: string;
  data: Buffer;
  skippedFirst: boolean;
  /** Bytes of (decompressed) input read so far in this file. */
  bytesRead: number;
}

export async function* readByteBatches(
  file: string,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<ByteBatch> {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  /** Bytes of an unfinished line, put in front of the next block so each batch's lines are contiguous. */
  let carry: Buffer | null = null;
  /** Inside a line over the limit: its bytes are dropped until its newline. */
  let skipping = false;
  let bytesRead = 0;
  const source = blocks(file, max + 1);
  try {
    for (let r = await source.next(null); !r.done; r = await source.next(carry)) {
      let data = r.value;
      bytesRead += data.length - (carry === null ? 0 : carry.length);
      carry = null;
      let skippedFirst = false;
      if (skipping) {
        const nl = data.indexOf(10);
        if (nl === -1) continue;
        skippedFirst = true;
        skipping = false;
        data = data.subarray(nl + 1);
      }
      const last = data.lastIndexOf(10);
      const tail = data.length - (last + 1);
      // the unfinished line goes in front of the next block (copied: the block's buffer is reused)
      if (tail > max) skipping = true;
      else if (tail > 0) carry = Buffer.from(data.subarray(last + 1));
      const whole = data.subarray(0, last + 1);
      if (whole.length > 0 || skippedFirst) yield { file, data: whole, skippedFirst, bytesRead };
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: ${(e as Error).message}`);
  } finally {
    // a consumer that stops early (a format it cannot read) must not leave the file open
    await source.return(undefined);
  }
  if (carry !== null || skipping)
    yield { file, data: carry ?? Buffer.alloc(0), skippedFirst: skipping, bytesRead };
}

/**
 * The same lines as ranges of one flat string per read chunk: parsers scan the chunk in place (faster
 * than on one substring per line, and no allocation per line). Line i is text[starts[i], ends[i])
 * without its line break (CRLF accepted); a line longer than maxLineBytes has start -1.
 */
export interface TextBatch {
  file: string;
  text: string;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  /** 1-based number of the batch's first line in its file. */
  firstLine: number;
  /** Bytes of (decompressed) input read so far in this file. */
  bytesRead: number;
}

/** Splits byte batches into text batches, reusing its range arrays (a batch is valid until the next). */
export class LineSplitter {
  private starts = new Int32Array(16384);
  private ends = new Int32Array(16384);

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** The lines of b, numbered from firstLine. */
  split(b: ByteBatch, firstLine: number): TextBatch {
    const max = this.maxLineBytes;
    let count = 0;
    if (b.skippedFirst) {
      this.starts[0] = -1;
      this.ends[0] = -1;
      count++;
    }
    const text = b.data.toString("latin1");
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf("\n", start);
      if (nl === -1) nl = text.length; // the final line, without a newline
      if (count === this.starts.length) this.grow();
      let e = nl;
      if (e > start && text.charCodeAt(e - 1) === 13) e--;
      const oversized = e - start > max;
      this.starts[count] = oversized ? -1 : start;
      this.ends[count] = oversized ? -1 : e;
      count++;
      start = nl + 1;
    }
    return {
      file: b.file,
      text,
      starts: this.starts,
      ends: this.ends,
      count,
      firstLine,
      bytesRead: b.bytesRead,
    };
  }

  private grow(): void {
    const grow = (a: Int32Array) => {
      const g = new Int32Array(a.length * 2);
      g.set(a);
      return g;
    };
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
  }
}

export async function* readTextBatches(
  file: string,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<TextBatch> {
  const splitter = new LineSplitter(opts.maxLineBytes);
  let lineNo = 1;
  for await (const b of readByteBatches(file, opts)) {
    const batch = splitter.split(b, lineNo);
    yield batch;
    lineNo += batch.count;
  }
}

/** The same lines as strings (OVERSIZED_LINE for lines over the limit), for readers that want them. */
export async function* readLineBatches(
  file: string,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<LineBatch> {
  for await (const b of readTextBatches(file, opts)) {
    const lines: string[] = new Array(b.count);
    for (let i = 0; i < b.count; i++)
      lines[i] = b.starts[i] < 0 ? OVERSIZED_LINE : b.text.slice(b.starts[i], b.ends[i]);
    yield { file, lines, firstLine: b.firstLine };
  }
}
