/** Output helpers shared by commands: JSON for machines, aligned tables for people, files of text. */
import { createWriteStream } from "node:fs";
import { UserError } from "../core/errors.ts";

/** Text a command writes to its --out file, or to stdout for "-". */
export interface TextOut {
  /** Text, or bytes already encoded as UTF-8. */
  write(text: string | Uint8Array): Promise<void>;
  /** Ends the file (a no-op for stdout) once everything is written. */
  close(): Promise<void>;
}

/** Pending bytes before a writer waits: enough that computing and writing overlap. */
const PENDING = 8 << 20;

export function textOut(path: string): TextOut {
  const stdout = path === "-";
  const stream = stdout ? process.stdout : createWriteStream(path, { highWaterMark: PENDING });
  let failed: Error | undefined;
  stream.on("error", (e: Error) => {
    failed = e;
  });
  const check = () => {
    if (failed) throw new UserError(`${path}: ${failed.message}`);
  };
  return {
    async write(text) {
      check();
      stream.write(text);
      if (stream.writableLength > PENDING)
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off("drain", done);
            stream.off("error", done);
            resolve();
          };
          stream.on("drain", done);
          stream.on("error", done);
        });
      check();
    },
    async close() {
      check();
      if (!stdout) await new Promise<void>((resolve) => stream.end(resolve));
      check();
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export type Cell = string | number | null | undefined;

/** A plain aligned table; numbers are right-aligned. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] == null),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n");
}

export function printTable(headers: string[], rows: Cell[][]): void {
  process.stdout.write(`${formatTable(headers, rows)}\n`);
}

function cellText(c: Cell): string {
  if (c == null) return "";
  if (typeof c === "number") return Number.isInteger(c) ? String(c) : c.toFixed(3);
  return c;
}

/** ISO time (seconds precision) from epoch seconds. */
export function isoTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds == null) return "";
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
