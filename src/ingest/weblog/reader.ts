import { UsageError } from "../../core/errors.ts";
import { factsOf, type RequestFacts, type RequestTables } from "../../web/request-facts.ts";
import { type BadLineReason, BadLines } from "../bad-lines.ts";
import { OVERSIZED_LINE, readTextBatches, type TextBatch } from "../source.ts";
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
  /** Called after each batch with the bytes read so far over all files (for progress bars). */
  onProgress?: (bytes: number) => void;
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

/** The parser the options name (a log_format string, else a format), or undefined for auto-detection. */
export function chosenParser(opts: WeblogOptions): LineParser | undefined {
  if (opts.logFormat) return compileLogFormat(opts.logFormat);
  return opts.format && opts.format !== "auto" ? namedParser(opts.format, opts) : undefined;
}

/** The first lines of a batch as strings, for format detection. */
function sampleLines(b: TextBatch): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.count && out.length < 200; i++)
    if (b.starts[i] >= 0) out.push(b.text.slice(b.starts[i], b.ends[i]));
  return out;
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
export function readWebLog(
  files: string[],
  opts: WeblogOptions,
  onRequest: (r: WebRequest) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WeblogStats> {
  const scratch = opts.reuseRecord ? emptyRequest() : undefined;
  return scanWebLog(
    files,
    opts,
    (p, text, start, end) => p.parseRange(text, start, end, scratch),
    onRequest,
    afterBatch,
  );
}

/**
 * The same, read as RequestFacts for sessions: `spare()` gives the record to fill (the consumer takes
 * it over in onFacts and hands out another). Formats without a facts parser go through WebRequest.
 */
export function readWebLogFacts(
  files: string[],
  opts: WeblogOptions,
  tables: RequestTables,
  spare: () => RequestFacts,
  onFacts: (f: RequestFacts) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WeblogStats> {
  const scratch = emptyRequest();
  return scanWebLog(
    files,
    opts,
    (p, text, start, end) => {
      if (p.factsRange) return p.factsRange(text, start, end, spare(), tables);
      const r = p.parseRange(text, start, end, scratch);
      return typeof r === "string" ? r : factsOf(r, tables, spare());
    },
    onFacts,
    afterBatch,
  );
}

async function scanWebLog<R>(
  files: string[],
  opts: WeblogOptions,
  parse: (p: LineParser, text: string, start: number, end: number) => R | BadLineReason,
  onGood: (r: R) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WeblogStats> {
  let parser = chosenParser(opts);
  const bad = new BadLines();
  let lines = 0;
  let requests = 0;
  let doneBytes = 0;
  for (const file of files) {
    let fileBytes = 0;
    for await (const batch of readTextBatches(file, { maxLineBytes: opts.maxLineBytes })) {
      fileBytes = batch.bytesRead;
      opts.onProgress?.(doneBytes + fileBytes);
      const { text, starts, ends, count } = batch;
      parser ??= detectFormat(sampleLines(batch), opts);
      const p = parser;
      for (let i = 0; i < count; i++) {
        const start = starts[i];
        const r = start < 0 ? "oversized" : parse(p, text, start, ends[i]);
        if (typeof r === "string") {
          const line = start < 0 ? OVERSIZED_LINE : text.slice(start, ends[i]);
          bad.add(
            classify(r as BadLineReason, line),
            file,
            batch.firstLine + i,
            start < 0 ? "(line over the size limit)" : line,
          );
        } else {
          requests++;
          onGood(r);
        }
      }
      lines += count;
      if (afterBatch) await afterBatch();
    }
    doneBytes += fileBytes;
  }
  return { format: parser?.name ?? "none", lines, requests, bad };
}
