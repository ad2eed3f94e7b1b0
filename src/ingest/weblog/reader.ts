import { UsageError } from "../../core/errors.ts";
import { factsOf, type RequestFacts, type RequestTables } from "../../web/request-facts.ts";
import { type BadLineReason, BadLines } from "../bad-lines.ts";
import {
  type ByteBatch,
  LineSplitter,
  MAX_LINE_BYTES,
  OVERSIZED_LINE,
  readByteBatches,
  type TextBatch,
} from "../source.ts";
import { type JsonFieldMapping, jsonLineParser } from "./json-lines.ts";
import { Code, KERNEL_FORMATS, kernelAvailable, WeblogKernel } from "./kernel.ts";
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
  /**
   * false: combined and common logs read as facts go through the JavaScript parser alone instead of the
   * WebAssembly kernel (for the tests that check both give the same).
   */
  kernel?: boolean;
}

export interface WeblogStats {
  format: string;
  lines: number;
  requests: number;
  bad: BadLines;
  /** Lines the WebAssembly kernel read itself (the others went through the JavaScript parser). */
  kernelLines?: number;
}

/** The log_format string of each format the kernel reads (a --log-format equal to one is read by it too). */
const FORMAT_STRINGS = { combined: COMBINED, common: COMMON, vhost_combined: VHOST_COMBINED } as const;

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
 * Combined, common and vhost_combined logs are read by the WebAssembly kernel where it is built (`kernel: false` to
 * read them with the JavaScript parser alone, as the equivalence tests do).
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
  const parse = (p: LineParser, text: string, start: number, end: number) => {
    if (p.factsRange) return p.factsRange(text, start, end, spare(), tables);
    const r = p.parseRange(text, start, end, scratch);
    return typeof r === "string" ? r : factsOf(r, tables, spare());
  };
  let kernel: WeblogKernel | undefined;
  const kernelFor = (p: LineParser): KernelBatch | undefined => {
    const format = KERNEL_FORMATS.find((f) => p.format === FORMAT_STRINGS[f]);
    if (opts.kernel === false || format === undefined || !kernelAvailable()) return undefined;
    const vhost = format === "vhost_combined";
    if (kernel === undefined) {
      kernel = new WeblogKernel(opts.maxLineBytes ?? MAX_LINE_BYTES);
      tables.useUserAgents(kernel);
    }
    const k = kernel;
    return (batch, bad, firstLine) => {
      let good = 0;
      let accepted = 0;
      let lineNo = firstLine;
      k.load(batch.data);
      for (let from = 0; from < batch.data.length; from = k.stopped) {
        k.scan(from, batch.data.length, format);
        for (let i = 0; i < k.count; i++, lineNo++) {
          const code = k.code(i);
          if (code === Code.ok) {
            good++;
            accepted++;
            onFacts(k.facts(i, spare(), tables, vhost));
            continue;
          }
          if (code === Code.oversized) {
            bad.add("oversized", batch.file, lineNo, "(line over the size limit)");
            continue;
          }
          // the JavaScript parser reads what the kernel does not accept, or says why the line is bad
          const line = k.text(k.start(i), k.end(i));
          const r = parse(p, line, 0, line.length);
          if (typeof r === "string") bad.add(classify(r, line), batch.file, lineNo, line);
          else {
            good++;
            onFacts(r);
          }
        }
      }
      return { lines: lineNo - firstLine, good, accepted };
    };
  };
  return scanWebLog(files, opts, parse, onFacts, afterBatch, kernelFor);
}

/** Reads one batch of lines numbered from firstLine with the kernel: lines, good requests, lines it read itself. */
type KernelBatch = (
  batch: ByteBatch,
  bad: BadLines,
  firstLine: number,
) => { lines: number; good: number; accepted: number };

async function scanWebLog<R>(
  files: string[],
  opts: WeblogOptions,
  parse: (p: LineParser, text: string, start: number, end: number) => R | BadLineReason,
  onGood: (r: R) => void,
  afterBatch?: () => Promise<void> | void,
  kernelFor?: (p: LineParser) => KernelBatch | undefined,
): Promise<WeblogStats> {
  let parser = chosenParser(opts);
  let kernel: KernelBatch | undefined;
  const bad = new BadLines();
  const splitter = new LineSplitter(opts.maxLineBytes);
  let lines = 0;
  let requests = 0;
  let kernelLines = 0;
  let doneBytes = 0;
  for (const file of files) {
    let fileBytes = 0;
    let lineNo = 1;
    for await (const bytes of readByteBatches(file, { maxLineBytes: opts.maxLineBytes })) {
      fileBytes = bytes.bytesRead;
      opts.onProgress?.(doneBytes + fileBytes);
      if (parser === undefined) {
        parser = detectFormat(sampleLines(splitter.split(bytes, lineNo)), opts);
      }
      const p = parser;
      kernel ??= kernelFor?.(p);
      let count: number;
      if (kernel) {
        const { lines: n, good, accepted } = kernel(bytes, bad, lineNo);
        count = n;
        requests += good;
        kernelLines += accepted;
      } else {
        const { text, starts, ends, count: n } = splitter.split(bytes, lineNo);
        for (count = 0; count < n; count++) {
          const start = starts[count];
          const r = start < 0 ? "oversized" : parse(p, text, start, ends[count]);
          if (typeof r === "string") {
            const line = start < 0 ? OVERSIZED_LINE : text.slice(start, ends[count]);
            bad.add(
              classify(r as BadLineReason, line),
              file,
              lineNo + count,
              start < 0 ? "(line over the size limit)" : line,
            );
          } else {
            requests++;
            onGood(r);
          }
        }
      }
      lines += count;
      lineNo += count;
      if (afterBatch) await afterBatch();
    }
    doneBytes += fileBytes;
  }
  return { format: parser?.name ?? "none", lines, requests, bad, kernelLines };
}
