import { createReadStream, existsSync, statSync } from "node:fs";
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

/** Byte chunks of an input, gunzipped when it starts with the gzip magic bytes. */
async function* byteChunks(file: string): AsyncGenerator<Buffer> {
  const raw: Readable = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b) {
    yield* Readable.from(all()).pipe(createGunzip({ chunkSize: 1 << 20 }));
  } else {
    yield* all();
  }
}

/**
 * Streams whole lines in batches. CRLF is accepted; a final line without a newline is kept. A line longer
 * than maxLineBytes becomes OVERSIZED_LINE, without holding its bytes in memory.
 */
export async function* readLineBatches(
  file: string,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<LineBatch> {
  const max = opts.maxLineBytes ?? 1 << 16;
  let carry = "";
  let lineNo = 1;
  let skipping = false;
  const finish = (line: string): string => {
    if (skipping || line.length > max) {
      skipping = false;
      return OVERSIZED_LINE;
    }
    return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  };
  try {
    for await (const chunk of byteChunks(file)) {
      const text = chunk.toString("latin1");
      const lines: string[] = [];
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        lines.push(finish(carry ? carry + text.slice(start, nl) : text.slice(start, nl)));
        carry = "";
        start = nl + 1;
      }
      if (start < text.length && !skipping) {
        if (carry.length + text.length - start > max) {
          carry = "";
          skipping = true;
        } else {
          carry += text.slice(start);
        }
      }
      if (lines.length) {
        yield { file, lines, firstLine: lineNo };
        lineNo += lines.length;
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  if (carry || skipping) yield { file, lines: [finish(carry)], firstLine: lineNo };
}
