/**
 * The beacons application function (shared by the CLI and a server): read flows from any reader, run the
 * compatible relbot detector or the keep-alive/beacon detector over them (optionally after relbot's
 * bidirectional merge), and turn the findings into clearing-house reports. Detectors stay I/O-free;
 * reading, progress and delivery happen here and in the CLI.
 */
import { type BadLineReason, type BadLineReport, BadLines } from "../ingest/bad-lines.ts";
import { isNfcapdFile } from "../ingest/flows/nfcapd.ts";
import { detectFlowFormat, type FlowFormat, type FlowReadStats, readFlows } from "../ingest/flows/reader.ts";
import { emptyFlow, type Flow } from "../ingest/flows/record.ts";
import { type LineBatch, OVERSIZED_LINE, readLineBatches } from "../ingest/source.ts";
import { BidirectionalMerger, DEFAULT_MERGE_WINDOW_MS } from "../periodicity/bidirectional.ts";
import {
  KEEPALIVE_DEFAULTS,
  KeepAliveDetector,
  type KeepAliveOptions,
  type KeepAliveResult,
} from "../periodicity/keepalive.ts";
import {
  RELBOT_DEFAULTS,
  type RelbotConfig,
  RelbotDetector,
  type RelbotResult,
  relbotFlowMs,
} from "../periodicity/relbot.ts";
import {
  looksLikeRelbotText,
  type RelbotRecordSink,
  type RelbotStop,
  RelbotTextReader,
} from "../periodicity/relbot-input.ts";
import {
  buildCchReport,
  type CchReport,
  DEFAULT_CONFIDENCE,
  hostsAtMinIdx,
  type IpMode,
  type IpPseudonymizer,
  KEEPALIVE_REPORT_TYPE,
  RELBOT_REPORT_TYPE,
} from "../report/cch.ts";

export const BEACON_MODES = ["keepalive", "relbot"] as const;
export type BeaconsMode = (typeof BEACON_MODES)[number];

export interface BeaconsOptions {
  /** Inputs, already expanded (expandInputs); "-" is stdin. */
  files: string[];
  format?: FlowFormat;
  mode: BeaconsMode;
  relbot?: RelbotConfig;
  keepalive?: Partial<KeepAliveOptions>;
  /** relbot's netflowaggr before detection: A:p->B:q and its reverse within the window are one flow. */
  mergeBidirectional?: boolean;
  mergeWindowMs?: number;
  /** The nfdump program for nfcapd files. */
  nfdump?: string;
  /** Called after each input batch with the flows read so far (progress). */
  onProgress?: (flows: number) => void;
}

export interface BeaconsRun {
  mode: BeaconsMode;
  format: string;
  lines: number;
  flows: number;
  badLines: BadLineReport;
  /** Flows dropped by the bidirectional merge (merged into their reverse). */
  merged: number;
  /** relbot text only: where the original would have stopped reading (and so did botscope). */
  relbotStop?: RelbotStop;
  seconds: number;
  relbot?: RelbotResult;
  relbotConfig?: RelbotConfig;
  keepalive?: KeepAliveResult;
  keepaliveOptions?: KeepAliveOptions;
}

/** Watermarks are advanced (idle pairs forgotten) every this many flows. */
const ADVANCE_EVERY = 1 << 20;

/** Line limit for relbot text: the original has none, a record may be one long line. */
const RELBOT_MAX_LINE = 1 << 28;

/** Adds one bad-line report to another (counts, and examples up to five a reason). */
function addBadLines(into: BadLineReport, from: BadLineReport): void {
  into.total += from.total;
  for (const [reason, n] of Object.entries(from.byReason) as [BadLineReason, number][]) {
    into.byReason[reason] = (into.byReason[reason] ?? 0) + n;
    into.examples[reason] ??= [];
    const ex = into.examples[reason];
    for (const e of from.examples[reason] ?? []) if (ex.length < 5) ex.push(e);
  }
}

interface Counters {
  formats: string[];
  lines: number;
  flows: number;
  bad: BadLineReport;
}

function count(
  c: Counters,
  stats: Pick<FlowReadStats, "format" | "lines" | "flows"> & { bad: BadLineReport },
): void {
  for (const f of stats.format.split("+")) if (f !== "none" && !c.formats.includes(f)) c.formats.push(f);
  c.lines += stats.lines;
  c.flows += stats.flows;
  addBadLines(c.bad, stats.bad);
}

/**
 * relbot mode's input: relbot text (explicit, or recognised from its first lines) is read as the
 * original reads its stdin (RelbotTextReader: any token is an address, reading stops where the original
 * stops); every other format through readFlows, times converted as relbot's pipeline converts them.
 */
async function readRelbotInputs(
  o: BeaconsOptions,
  onRecord: RelbotRecordSink,
  onFlow: (f: Flow) => void,
  c: Counters,
): Promise<RelbotStop | undefined> {
  const format = o.format ?? "auto";
  const reader = new RelbotTextReader(onRecord);
  for (const file of o.files) {
    if (format !== "auto" && format !== "relbot") {
      count(
        c,
        toReport(
          await readFlows([file], { format, reuseRecord: true, nfdump: o.nfdump }, onFlow, () =>
            o.onProgress?.(c.flows),
          ),
        ),
      );
      continue;
    }
    if (format === "auto" && file !== "-" && isNfcapdFile(file)) {
      count(
        c,
        toReport(await readFlows([file], { format: "nfcapd", reuseRecord: true, nfdump: o.nfdump }, onFlow)),
      );
      continue;
    }
    const batches = readLineBatches(file, { maxLineBytes: RELBOT_MAX_LINE });
    const first = await batches.next();
    if (first.done) continue;
    if (format === "relbot" || looksLikeRelbotText(first.value.lines)) {
      if (!c.formats.includes("relbot")) c.formats.push("relbot");
      const before = reader.records;
      let batch = first.value;
      for (;;) {
        for (let i = 0; i < batch.lines.length && !reader.stopped; i++)
          reader.line(batch.lines[i], batch.firstLine + i, file);
        c.lines += batch.lines.length;
        o.onProgress?.(c.flows + reader.records - before);
        if (reader.stopped) break;
        const next = await batches.next();
        if (next.done) break;
        batch = next.value;
      }
      await batches.return(undefined);
      reader.end();
      c.flows += reader.records - before;
      if (reader.stopped) break;
      continue;
    }
    if (file !== "-") {
      // another text format: readFlows reads the file from its start
      await batches.return(undefined);
      count(
        c,
        toReport(await readFlows([file], { format: "auto", reuseRecord: true, nfdump: o.nfdump }, onFlow)),
      );
      continue;
    }
    // stdin in another text format: parse the batches already taken and the rest here
    const parser = detectFlowFormat(
      first.value.lines.map((l) => (l === OVERSIZED_LINE ? "" : l)),
      file,
    );
    if (!parser) continue;
    const bad = new BadLines();
    const scratch = emptyFlow();
    let lines = 0;
    let flows = 0;
    for (let b: IteratorResult<LineBatch> = first; !b.done; b = await batches.next()) {
      const ls = b.value.lines;
      for (let i = 0; i < ls.length; i++) {
        const r = parser.parse(ls[i], scratch);
        if (r === null) continue;
        if (typeof r === "string") bad.add(r, file, b.value.firstLine + i, ls[i]);
        else {
          flows++;
          onFlow(r);
        }
      }
      lines += ls.length;
    }
    count(c, { format: parser.name, lines, flows, bad: bad.toJSON() });
  }
  return reader.stopped;
}

function toReport(
  s: FlowReadStats,
): Pick<FlowReadStats, "format" | "lines" | "flows"> & { bad: BadLineReport } {
  return { format: s.format, lines: s.lines, flows: s.flows, bad: s.bad.toJSON() };
}

export async function runBeacons(o: BeaconsOptions): Promise<BeaconsRun> {
  const t0 = performance.now();
  const c: Counters = { formats: [], lines: 0, flows: 0, bad: { total: 0, byReason: {}, examples: {} } };
  const run: BeaconsRun = {
    mode: o.mode,
    format: "none",
    lines: 0,
    flows: 0,
    badLines: c.bad,
    merged: 0,
    seconds: 0,
  };
  if (o.mode === "relbot") {
    const det = new RelbotDetector(o.relbot ?? RELBOT_DEFAULTS);
    let onFlow = (f: Flow) => det.pushFlow(f);
    let onRecord: RelbotRecordSink = (ms, st, ss, se, dt, ds, de) =>
      det.pushRange(ms, st, ss, se, dt, ds, de);
    let merger: BidirectionalMerger | undefined;
    if (o.mergeBidirectional) {
      const m = new BidirectionalMerger(onFlow, relbotFlowMs, o.mergeWindowMs ?? DEFAULT_MERGE_WINDOW_MS);
      merger = m;
      const scratch = emptyFlow();
      scratch.dir = "->";
      onFlow = (f) => m.push(f);
      onRecord = (ms, st, ss, se, dt, ds, de) => {
        scratch.start = ms / 1000;
        scratch.srcAddr = st.slice(ss, se);
        scratch.dstAddr = dt.slice(ds, de);
        m.push(scratch);
      };
    }
    run.relbotStop = await readRelbotInputs(o, onRecord, onFlow, c);
    merger?.flush();
    run.merged = merger?.merged ?? 0;
    run.relbot = det.flush();
    run.relbotConfig = det.config;
  } else {
    const det = new KeepAliveDetector({ ...KEEPALIVE_DEFAULTS, ...o.keepalive });
    let sink = (f: Flow) => det.push(f);
    let merger: BidirectionalMerger | undefined;
    if (o.mergeBidirectional) {
      const m = new BidirectionalMerger(
        sink,
        (f) => f.start * 1000,
        o.mergeWindowMs ?? DEFAULT_MERGE_WINDOW_MS,
      );
      merger = m;
      sink = (f) => m.push(f);
    }
    let watermark = Number.NEGATIVE_INFINITY;
    let sinceAdvance = 0;
    let flows = 0;
    const stats = await readFlows(
      o.files,
      { format: o.format ?? "auto", reuseRecord: true, nfdump: o.nfdump },
      (f) => {
        const ms = f.start * 1000;
        if (ms > watermark) watermark = ms;
        sinceAdvance++;
        flows++;
        sink(f);
      },
      () => {
        if (sinceAdvance >= ADVANCE_EVERY) {
          det.advance(watermark);
          sinceAdvance = 0;
        }
        o.onProgress?.(flows);
      },
    );
    count(c, toReport(stats));
    merger?.flush();
    run.merged = merger?.merged ?? 0;
    run.keepalive = det.flush();
    run.keepaliveOptions = det.options;
  }
  run.format = c.formats.length ? c.formats.join("+") : "none";
  run.lines = c.lines;
  run.flows = c.flows;
  run.seconds = (performance.now() - t0) / 1000;
  return run;
}

export interface ReportSelection {
  /** A host is reported when, for some period, it has at least this many periodic peers (MIN_IDX). */
  minIdx: number;
  /** Fixed confidence for every report; default 0.5 in relbot mode, each host's own in keepalive mode. */
  confidence?: number;
  mode: IpMode;
  hasher?: IpPseudonymizer;
  reportType?: string;
  now?: Date;
}

/** The hosts a run reports, with the confidence each report carries. */
export function reportedHosts(
  run: BeaconsRun,
  sel: Pick<ReportSelection, "minIdx" | "confidence">,
): { host: string; confidence: number }[] {
  if (run.relbot) {
    return hostsAtMinIdx(run.relbot.hosts, sel.minIdx).map((h) => ({
      host: h.host,
      confidence: sel.confidence ?? DEFAULT_CONFIDENCE,
    }));
  }
  const out: { host: string; confidence: number }[] = [];
  for (const h of run.keepalive?.hosts ?? []) {
    const most = Math.max(0, ...h.periods.map((p) => p.peers));
    if (most < sel.minIdx) continue;
    out.push({ host: h.host, confidence: sel.confidence ?? Math.round(h.confidence * 1000) / 1000 });
  }
  return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** Clearing-house reports for the hosts of a run. */
export function beaconReports(run: BeaconsRun, sel: ReportSelection): CchReport[] {
  const now = sel.now ?? new Date();
  const reportType = sel.reportType ?? (run.mode === "relbot" ? RELBOT_REPORT_TYPE : KEEPALIVE_REPORT_TYPE);
  return reportedHosts(run, sel).map((h) =>
    buildCchReport(h.host, h.confidence, { mode: sel.mode, reportType, hasher: sel.hasher, now }),
  );
}
