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
 * Whole lines of an input as ranges of one flat string per read chunk: parsers scan the chunk in place
 * (faster than on one substring per line, and no allocation per line). Line i is text[starts[i],
 * ends[i]) without its line break (CRLF accepted); a line longer than maxLineBytes has start -1 and its
 * bytes are dropped as they stream past. A final line without a newline is kept.
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

export async function* readTextBatches(
  file: string,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<TextBatch> {
  const max = opts.maxLineBytes ?? 1 << 16;
  /** Bytes of an unfinished line, put in front of the next block so each batch's text is one flat string. */
  let carry: Buffer | null = null;
  /** Inside a line over the limit: its bytes are dropped until its newline. */
  let skipping = false;
  let lineNo = 1;
  let starts = new Int32Array(16384);
  let ends = new Int32Array(16384);
  let bytesRead = 0;
  const room = (count: number) => {
    if (count < starts.length) return;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    starts = grow(starts);
    ends = grow(ends);
  };
  const source = blocks(file, max + 1);
  try {
    for (let r = await source.next(null); !r.done; r = await source.next(carry)) {
      let data = r.value;
      bytesRead += data.length - (carry === null ? 0 : carry.length);
      carry = null;
      let count = 0;
      if (skipping) {
        const nl = data.indexOf(10);
        if (nl === -1) continue;
        starts[count] = -1;
        ends[count] = -1;
        count++;
        skipping = false;
        data = data.subarray(nl + 1);
      }
      const last = data.lastIndexOf(10);
      const tail = data.length - (last + 1);
      // the unfinished line goes in front of the next block (copied: the block's buffer is reused)
      if (tail > max) skipping = true;
      else if (tail > 0) carry = Buffer.from(data.subarray(last + 1));
      const text = last === -1 ? "" : data.toString("latin1", 0, last + 1);
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        room(count);
        let e = nl;
        if (e > start && text.charCodeAt(e - 1) === 13) e--;
        const oversized = e - start > max;
        starts[count] = oversized ? -1 : start;
        ends[count] = oversized ? -1 : e;
        count++;
        start = nl + 1;
      }
      if (count > 0) {
        yield { file, text, starts, ends, count, firstLine: lineNo, bytesRead };
        lineNo += count;
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  if (carry !== null || skipping) {
    const text = carry === null ? "" : carry.toString("latin1");
    let e = text.length;
    if (e > 0 && text.charCodeAt(e - 1) === 13) e--;
    starts[0] = skipping ? -1 : 0;
    ends[0] = skipping ? -1 : e;
    yield { file, text, starts, ends, count: 1, firstLine: lineNo, bytesRead };
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
