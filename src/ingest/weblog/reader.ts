import { UsageError } from "../../core/errors.ts";
import { type BadLineReason, BadLines } from "../bad-lines.ts";
import { OVERSIZED_LINE, readLineBatches } from "../source.ts";
import { type JsonFieldMapping, jsonLineParser } from "./json-lines.ts";
import {
  COMBINED,
  COMMON,
  compileLogFormat,
  emptyRequest,
  type LineParser,
  VHOST_COMBINED,
} from "./log-format.ts";
import type { WebRequest } from "./record.ts";

export const WEBLOG_FORMATS = ["auto", "combined", "common", "vhost_combined", "json"] as const;
export type WeblogFormat = (typeof WEBLOG_FORMATS)[number];

export interface WeblogOptions {
  format?: WeblogFormat;
  /** An nginx log_format string; implies its own format. */
  logFormat?: string;
  jsonFields?: JsonFieldMapping;
  maxLineBytes?: number;
  /** Hand every request in one reused record (the consumer copies what it keeps). */
  reuseRecord?: boolean;
}

export interface WeblogStats {
  format: string;
  lines: number;
  requests: number;
  bad: BadLines;
}

function namedParser(format: Exclude<WeblogFormat, "auto">, opts: WeblogOptions): LineParser {
  switch (format) {
    case "combined":
      return compileLogFormat(COMBINED, "combined");
    case "common":
      return compileLogFormat(COMMON, "common");
    case "vhost_combined":
      return compileLogFormat(VHOST_COMBINED, "vhost_combined");
    case "json":
      return jsonLineParser(opts.jsonFields);
  }
}

/** The format that reads the most of a sample of lines; on a tie, the richer one (listed first). */
export function detectFormat(sample: string[], opts: WeblogOptions = {}): LineParser {
  const lines = sample.filter((l) => l.length > 0 && l !== OVERSIZED_LINE).slice(0, 200);
  const candidates = (["json", "vhost_combined", "combined", "common"] as const).map((f) =>
    namedParser(f, opts),
  );
  let best: LineParser | undefined;
  let bestOk = 0;
  for (const p of candidates) {
    let ok = 0;
    for (const l of lines) if (typeof p.parse(l) !== "string") ok++;
    if (ok > bestOk) {
      best = p;
      bestOk = ok;
    }
  }
  if (!best || bestOk < Math.max(1, lines.length / 2)) {
    throw new UsageError(
      `cannot recognise the log format (${bestOk} of ${lines.length} sample lines readable): use --format or --log-format`,
    );
  }
  return best;
}

/** Control bytes that never occur in a text log line: binary garbage. */
const BINARY = /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/;

function classify(reason: BadLineReason, line: string): BadLineReason {
  if (line === OVERSIZED_LINE) return "oversized";
  if ((reason === "wrong-format" || reason === "truncated" || reason === "bad-address") && BINARY.test(line))
    return "binary";
  return reason;
}

/**
 * Reads web logs (files, globs, .gz, "-") and calls onRequest for every good request in input order.
 * Bad lines are counted with examples, never fatal. `afterBatch` runs between batches (back-pressure
 * point for writers and the place to advance watermarks).
 */
export async function readWebLog(
  files: string[],
  opts: WeblogOptions,
  onRequest: (r: WebRequest) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WeblogStats> {
  let parser: LineParser | undefined = opts.logFormat
    ? compileLogFormat(opts.logFormat)
    : opts.format && opts.format !== "auto"
      ? namedParser(opts.format, opts)
      : undefined;
  const bad = new BadLines();
  const scratch = opts.reuseRecord ? emptyRequest() : undefined;
  let lines = 0;
  let requests = 0;
  for (const file of files) {
    for await (const batch of readLineBatches(file, { maxLineBytes: opts.maxLineBytes })) {
      parser ??= detectFormat(batch.lines, opts);
      const p = parser;
      const ls = batch.lines;
      for (let i = 0; i < ls.length; i++) {
        const line = ls[i];
        const r = p.parse(line, scratch);
        if (typeof r === "string") {
          bad.add(
            classify(r, line),
            file,
            batch.firstLine + i,
            line === OVERSIZED_LINE ? "(line over the size limit)" : line,
          );
        } else {
          requests++;
          onRequest(r);
        }
      }
      lines += ls.length;
      if (afterBatch) await afterBatch();
    }
  }
  return { format: parser?.name ?? "none", lines, requests, bad };
}
