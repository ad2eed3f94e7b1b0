/**
 * nfcapd binary files (nfdump's capture format), read by running the nfdump program and streaming its
 * text output: `nfdump -6 -q -N -r FILE -o NFCAPD_FMT` with TZ=UTC.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import { type LineBatch, OVERSIZED_LINE } from "../source.ts";
import { NFCAPD_FMT } from "./nfdump.ts";

export const NFDUMP_MISSING = "nfcapd files need the nfdump program (apt-get install nfdump)";

/**
 * Whether bytes start an nfcapd file: magic 0xA50C (little- or big-endian, as the writer's machine was)
 * and layout version 1 (nfdump 1.6) or 2 (nfdump 1.7).
 */
export function hasNfcapdMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const le = b[0] === 0x0c && b[1] === 0xa5 && (b[2] === 1 || b[2] === 2) && b[3] === 0;
  const be = b[0] === 0xa5 && b[1] === 0x0c && b[2] === 0 && (b[3] === 1 || b[3] === 2);
  return le || be;
}

/** Whether a file is an nfcapd file, by its first four bytes. */
export function isNfcapdFile(file: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const n = readSync(fd, head, 0, 4, 0);
    return hasNfcapdMagic(head.subarray(0, n));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The arguments botscope runs nfdump with on one nfcapd file. */
export function nfdumpArgs(file: string): string[] {
  return ["-6", "-q", "-N", "-r", file, "-o", NFCAPD_FMT];
}

/**
 * The text nfdump prints for an nfcapd file, in line batches as readLineBatches gives them (line numbers
 * are those of nfdump's output, one flow a line). `program` is the nfdump to run (default: from PATH).
 * A missing nfdump, or nfdump failing on the file, is a UserError.
 */
export async function* nfcapdLineBatches(
  file: string,
  opts: { maxLineBytes?: number; program?: string } = {},
): AsyncGenerator<LineBatch> {
  const max = opts.maxLineBytes ?? 1 << 16;
  const child = spawn(opts.program ?? "nfdump", nfdumpArgs(file), {
    env: { ...process.env, TZ: "UTC" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const closed = new Promise<number | null>((resolve) => {
    child.on("error", (e) => {
      spawnError = e;
      resolve(null);
    });
    child.on("close", (code) => resolve(code));
  });
  let stderr = "";
  child.stderr.setEncoding("latin1");
  child.stderr.on("data", (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const finish = (line: string) =>
    line.length > max ? OVERSIZED_LINE : line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  let carry = "";
  let lineNo = 1;
  let done = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const text = chunk.toString("latin1");
      const lines: string[] = [];
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        lines.push(finish(carry ? carry + text.slice(start, nl) : text.slice(start, nl)));
        carry = "";
        start = nl + 1;
      }
      if (start < text.length) carry += text.slice(start);
      if (lines.length) {
        yield { file, lines, firstLine: lineNo };
        lineNo += lines.length;
      }
    }
    done = true;
  } finally {
    // the consumer stopped early (or threw): do not leave nfdump running
    if (!done && child.exitCode === null) child.kill();
  }
  const code = await closed;
  if (spawnError) {
    if (spawnError.code === "ENOENT") throw new UserError(NFDUMP_MISSING);
    throw new UserError(`${file}: cannot run nfdump: ${spawnError.message}`);
  }
  if (code !== 0) {
    const why = stderr.trim().split("\n")[0] || `exit code ${code}`;
    throw new UserError(`${file}: nfdump failed: ${why}`);
  }
  if (carry) yield { file, lines: [finish(carry)], firstLine: lineNo };
}
