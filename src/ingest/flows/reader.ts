/**
 * Flow input: files, globs (expanded by the caller with expandInputs), .gz and "-" for stdin through
 * readLineBatches, in any of the flow text formats (detected per file from its first lines) or as nfcapd
 * files (detected by their magic bytes, read through the nfdump program), or as pcap/pcapng captures
 * (detected by their magic bytes, assembled into flows by src/ingest/capture). One Flow record for all.
 */
import { UsageError, UserError } from "../../core/errors.ts";
import { type BadLineReason, BadLines } from "../bad-lines.ts";
import { type CaptureStats, isCaptureFile, readCaptureFlows } from "../capture/index.ts";
import type { BinetflowEncoder } from "../capture/write.ts";
import { type LineBatch, OVERSIZED_LINE, readLineBatches } from "../source.ts";
import { BinetflowParser } from "./binetflow.ts";
import { isNfcapdFile, nfcapdLineBatches } from "./nfcapd.ts";
import { NfdumpCsvParser, NfdumpFmtParser, NfdumpLineParser, nfcapdTextParser } from "./nfdump.ts";
import { emptyFlow, type Flow, type FlowLineParser } from "./record.ts";
import { RelbotParser } from "./relbot.ts";
import { ZeekJsonParser, ZeekTsvParser } from "./zeek.ts";

export const FLOW_FORMATS = [
  "auto",
  "binetflow",
  "nfdump-csv",
  "nfdump-fmt",
  "nfdump-line",
  "nfcapd",
  "zeek",
  "zeek-json",
  "relbot",
  "pcap",
] as const;
export type FlowFormat = (typeof FLOW_FORMATS)[number];

export interface FlowReadOptions {
  /** Default "auto": nfcapd files by their magic bytes, text formats from their first lines, per file. */
  format?: FlowFormat;
  /** Hand every flow in one reused record (the consumer copies what it keeps, see copyFlow). */
  reuseRecord?: boolean;
  maxLineBytes?: number;
  /** The nfdump program that reads nfcapd files (default: nfdump from PATH). */
  nfdump?: string;
  /** Captures: seconds without a packet that end a flow (default 60). */
  idleTimeout?: number;
  /** Captures: seconds after which a long flow is cut (default 3600). */
  activeTimeout?: number;
  /** Captures: Argus's record model, as argus -S (records of this many seconds; see capture/flows.ts). */
  statusInterval?: number;
  /** Captures: their records go into this encoder as binetflow lines instead of to onFlow (flows convert). */
  captureBinetflow?: BinetflowEncoder;
}

export interface FlowReadStats {
  /** The format read; several joined by "+" when files differ; "none" when there was nothing to read. */
  format: string;
  lines: number;
  flows: number;
  bad: BadLines;
  /** Captures read (format "pcap"): the packet counters of each, by file. */
  captures?: Record<string, CaptureStats>;
}

/** The text formats in the order auto-detection prefers them on a tie. */
const TEXT_FORMATS = [
  "binetflow",
  "nfdump-csv",
  "zeek",
  "zeek-json",
  "nfdump-fmt",
  "nfdump-line",
  "relbot",
] as const;
type TextFormat = (typeof TEXT_FORMATS)[number];

function textParser(format: TextFormat): FlowLineParser {
  switch (format) {
    case "binetflow":
      return new BinetflowParser();
    case "nfdump-csv":
      return new NfdumpCsvParser();
    case "nfdump-fmt":
      return new NfdumpFmtParser();
    case "nfdump-line":
      return new NfdumpLineParser();
    case "zeek":
      return new ZeekTsvParser();
    case "zeek-json":
      return new ZeekJsonParser();
    case "relbot":
      return new RelbotParser();
  }
}

/** Lines a parser reads: flows and the lines it recognises as its own headers or trailers. */
function readable(parser: FlowLineParser, lines: string[]): number {
  const scratch = emptyFlow();
  let ok = 0;
  for (const l of lines) if (typeof parser.parse(l, scratch) !== "string") ok++;
  return ok;
}

function sampleOf(lines: string[]): string[] {
  return lines.filter((l) => l.length > 0 && l !== OVERSIZED_LINE).slice(0, 200);
}

/**
 * The text format that reads the most of a sample of first lines (on a tie, the one listed first);
 * undefined when the sample has no line to judge by (only empty or oversized lines).
 */
export function detectFlowFormat(lines: string[], file = "input"): FlowLineParser | undefined {
  const sample = sampleOf(lines);
  if (sample.length === 0) return undefined;
  let best: FlowLineParser | undefined;
  let bestOk = 0;
  for (const format of TEXT_FORMATS) {
    const ok = readable(textParser(format), sample);
    if (ok > bestOk) {
      best = textParser(format);
      bestOk = ok;
    }
  }
  if (!best || bestOk < Math.max(1, sample.length / 2)) {
    throw new UsageError(
      `${file}: cannot recognise the flow format (${bestOk} of ${sample.length} sample lines readable): use --format`,
    );
  }
  return best;
}

/** Control bytes that never occur in a text flow line (tab aside): binary garbage. */
const BINARY = /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/;
const MAY_BE_BINARY = new Set<BadLineReason>([
  "wrong-format",
  "truncated",
  "bad-address",
  "bad-time",
  "bad-number",
  "wrong-field-count",
  "bad-json",
]);

function classify(reason: BadLineReason, line: string): BadLineReason {
  if (line === OVERSIZED_LINE) return "oversized";
  if (MAY_BE_BINARY.has(reason) && BINARY.test(line)) return "binary";
  return reason;
}

const NFCAPD_STDIN = "nfcapd data on stdin: give the file name, nfdump reads it";

/** Stands in for a parser where a file has only empty or oversized lines so far. */
const NO_FORMAT: FlowLineParser = { name: "none", parse: (l) => (l.length === 0 ? "empty" : "wrong-format") };

/**
 * Reads flows (files, globs expanded by the caller, .gz, "-" for stdin; nfcapd files through nfdump) and
 * calls onFlow for every good flow in input order. Bad lines are counted per reason with examples
 * (file:line), never fatal; headers, comments and nfdump's summary are neither flows nor bad lines.
 * `afterBatch` runs between batches (back-pressure point for writers and the place to advance
 * watermarks). A text file whose format cannot be recognised, a missing nfdump, or an explicit
 * `format: "nfcapd"` on another file is a UserError.
 */
export async function readFlows(
  files: string[],
  opts: FlowReadOptions,
  onFlow: (f: Flow) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<FlowReadStats> {
  const format = opts.format ?? "auto";
  const fixed =
    format !== "auto" && format !== "nfcapd" && format !== "pcap" ? textParser(format) : undefined;
  const captures: Record<string, CaptureStats> = {};
  const bad = new BadLines();
  const scratch = opts.reuseRecord ? emptyFlow() : undefined;
  const formats: string[] = [];
  let previous: FlowLineParser | undefined;
  let lines = 0;
  let flows = 0;
  for (const file of files) {
    const capture =
      (format === "pcap" && file === "-") ||
      (file !== "-" && (format === "auto" || format === "pcap") && isCaptureFile(file));
    if (format === "pcap" && !capture)
      throw new UsageError(`${file}: not a pcap or pcapng capture (no capture magic bytes)`);
    if (capture) {
      const onCaptureFlow = (f: Flow) => {
        flows++;
        onFlow(f);
      };
      const cs = await readCaptureFlows(
        file,
        {
          idleTimeout: opts.idleTimeout,
          activeTimeout: opts.activeTimeout,
          statusInterval: opts.statusInterval,
          reuseRecord: opts.reuseRecord,
          binetflow: opts.captureBinetflow,
        },
        onCaptureFlow,
        afterBatch,
      );
      captures[file] = cs;
      if (opts.captureBinetflow) flows += cs.flows;
      // damage in a capture is reported like bad lines (the "line" is the count so far)
      for (let i = 0; i < cs.truncated + cs.truncatedRecords; i++)
        bad.add("truncated", file, i + 1, "packet shorter than its headers");
      for (let i = 0; i < cs.garbageRuns; i++)
        bad.add("binary", file, i + 1, `garbage between packet records (${cs.garbageBytes} bytes in all)`);
      if (!formats.includes("pcap")) formats.push("pcap");
      continue;
    }
    const nfcapd = file !== "-" && (format === "auto" || format === "nfcapd") && isNfcapdFile(file);
    if (format === "nfcapd" && file === "-") throw new UserError(NFCAPD_STDIN);
    if (format === "nfcapd" && !nfcapd)
      throw new UsageError(`${file}: not an nfcapd file (no nfcapd magic bytes)`);
    let parser: FlowLineParser | undefined = nfcapd ? nfcapdTextParser() : fixed;
    parser?.startFile?.();
    const batches: AsyncGenerator<LineBatch> = nfcapd
      ? nfcapdLineBatches(file, { maxLineBytes: opts.maxLineBytes, program: opts.nfdump })
      : readLineBatches(file, { maxLineBytes: opts.maxLineBytes });
    for await (const batch of batches) {
      const ls = batch.lines;
      if (!parser) {
        if (file === "-" && ls[0]?.startsWith("\u000c\u00a5")) throw new UserError(NFCAPD_STDIN);
        const sample = sampleOf(ls);
        // files of one kind in a row keep one parser (and the column layout of the first one's header)
        if (previous && sample.length && readable(previous, sample) >= Math.max(1, sample.length / 2)) {
          parser = previous;
          parser.startFile?.();
        } else {
          parser = detectFlowFormat(ls, file);
        }
      }
      const p = parser ?? NO_FORMAT;
      if (!formats.includes(p.name) && p !== NO_FORMAT) formats.push(p.name);
      for (let i = 0; i < ls.length; i++) {
        const line = ls[i];
        const r = p.parse(line, scratch);
        if (r === null) continue;
        if (typeof r === "string") {
          bad.add(
            classify(r, line),
            file,
            batch.firstLine + i,
            line === OVERSIZED_LINE ? "(line over the size limit)" : line,
          );
        } else {
          flows++;
          onFlow(r);
        }
      }
      lines += ls.length;
      if (afterBatch) await afterBatch();
    }
    // a text parser goes on to the next file; nfcapd files always get their own
    if (parser && !nfcapd) previous = parser;
  }
  const stats: FlowReadStats = { format: formats.length ? formats.join("+") : "none", lines, flows, bad };
  if (Object.keys(captures).length) stats.captures = captures;
  return stats;
}
