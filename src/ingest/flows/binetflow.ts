/**
 * Argus flows as text with a header naming the columns: CTU-13's binetflow
 * (`StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label`)
 * and any other `ra -c ,` output such as botd's 36 columns. Columns are mapped by header name (Argus
 * labels, or ra's -s field names); other numeric columns go to `extra` under their header name.
 */
import type { BadLineReason } from "../bad-lines.ts";
import {
  ADD_DSTBYTES,
  ADD_DSTPKTS,
  ADD_SRCBYTES,
  ADD_SRCPKTS,
  type ColumnLayout,
  DADDR,
  DIR,
  DPORT,
  DSTPKTS,
  DTOS,
  DUR,
  EXTRA,
  LABEL,
  LAST,
  layoutComplete,
  makeLayout,
  PROTO,
  parseColumns,
  SADDR,
  SKIP,
  SPORT,
  SRCBYTES,
  SRCPKTS,
  START,
  STATE,
  STOS,
  TOTBYTES,
  TOTPKTS,
} from "./columns.ts";
import { emptyFlow, type Flow, type FlowLineParser, type FlowParseResult } from "./record.ts";
import {
  dirName,
  FlowTimes,
  isAddress,
  isFlowPrefix,
  parseCount,
  parseNumber,
  parsePort,
  protoName,
} from "./scan.ts";

export const CTU13_HEADER =
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

/** Argus column labels and ra -s names (lower-cased) that fill a Flow field. */
const ARGUS_COLUMNS: Record<string, number> = {
  starttime: START,
  stime: START,
  lasttime: LAST,
  ltime: LAST,
  dur: DUR,
  proto: PROTO,
  srcaddr: SADDR,
  saddr: SADDR,
  sport: SPORT,
  dir: DIR,
  dstaddr: DADDR,
  daddr: DADDR,
  dport: DPORT,
  state: STATE,
  stos: STOS,
  dtos: DTOS,
  totpkts: TOTPKTS,
  pkts: TOTPKTS,
  totbytes: TOTBYTES,
  bytes: TOTBYTES,
  label: LABEL,
};

/** Argus text columns that are never numbers: skipped without trying. */
const TEXT_COLUMNS = new Set([
  "flgs",
  "srcmac",
  "dstmac",
  "smac",
  "dmac",
  "srcid",
  "sid",
  "inf",
  "srcoui",
  "dstoui",
]);

function argusKind(name: string, all: readonly string[]): number {
  const n = name.toLowerCase();
  const known = ARGUS_COLUMNS[n];
  if (known !== undefined) return known;
  const lower = all.map((x) => x.toLowerCase());
  const hasTotPkts = lower.includes("totpkts") || lower.includes("pkts");
  const hasTotBytes = lower.includes("totbytes") || lower.includes("bytes");
  switch (n) {
    case "srcpkts":
    case "spkts":
      return hasTotPkts ? SRCPKTS : ADD_SRCPKTS;
    case "dstpkts":
    case "dpkts":
      return hasTotPkts ? DSTPKTS : ADD_DSTPKTS;
    case "srcbytes":
    case "sbytes":
      return hasTotBytes ? SRCBYTES : ADD_SRCBYTES;
    case "dstbytes":
    case "dbytes":
      return hasTotBytes ? EXTRA : ADD_DSTBYTES;
  }
  return TEXT_COLUMNS.has(n) || n === "" ? SKIP : EXTRA;
}

/** The separator of a header line: the most frequent of , tab ; | */
function separatorOf(header: string): string {
  let best = ",";
  let most = 0;
  for (const sep of [",", "\t", ";", "|"]) {
    const k = header.split(sep).length - 1;
    if (k > most) {
      best = sep;
      most = k;
    }
  }
  return best;
}

/** The layout of an Argus header line; null when it names no start time or no addresses. */
export function argusLayout(header: string): ColumnLayout | null {
  const sep = separatorOf(header);
  const names = header.split(sep).map((n) => n.trim());
  const layout = makeLayout(names, argusKind, sep);
  return layoutComplete(layout) ? layout : null;
}

const CTU13_LAYOUT = argusLayout(CTU13_HEADER) as ColumnLayout;

/** A header starts with a letter; data lines start with a time (a digit). */
function isLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

/**
 * The CTU-13 layout unrolled: the hot path of the most common input. Returns a reason on anything
 * unusual, and the caller then reads the line with the column engine, which has the final word, so this
 * path can only be faster, never stricter or different.
 */
function parseCtu13(line: string, times: FlowTimes, f: Flow): BadLineReason | undefined {
  let v: number;
  let e = line.indexOf(",");
  if (e < 0) return "truncated";
  v = times.parse(line, 0, e);
  if (Number.isNaN(v)) return "bad-time";
  f.start = v;
  let s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  v = parseNumber(line, s, e);
  if (Number.isNaN(v)) return "bad-number";
  f.duration = v;
  s = e + 1;
  e = line.indexOf(",", s);
  if (e <= s || line.charCodeAt(s) === 32 || line.charCodeAt(e - 1) === 32) return "truncated";
  f.proto = protoName(line, s, e);
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0 || !isAddress(line, s, e)) return "bad-address";
  f.srcAddr = line.slice(s, e);
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  if (s === e) f.srcPort = null;
  else {
    v = parsePort(line, s, e);
    if (v < 0) return "bad-number";
    f.srcPort = v;
  }
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  let a = s;
  let b = e;
  while (a < b && line.charCodeAt(a) === 32) a++;
  while (b > a && line.charCodeAt(b - 1) === 32) b--;
  f.dir = a < b ? dirName(line, a, b) : "";
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0 || !isAddress(line, s, e)) return "bad-address";
  f.dstAddr = line.slice(s, e);
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  if (s === e) f.dstPort = null;
  else {
    v = parsePort(line, s, e);
    if (v < 0) return "bad-number";
    f.dstPort = v;
  }
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0 || line.charCodeAt(s) === 32 || line.charCodeAt(e - 1) === 32) return "truncated";
  f.state = line.slice(s, e);
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  if (s === e) f.sTos = null;
  else {
    v = parseCount(line, s, e);
    if (v < 0) return "bad-number";
    f.sTos = v;
  }
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  if (s === e) f.dTos = null;
  else {
    v = parseCount(line, s, e);
    if (v < 0) return "bad-number";
    f.dTos = v;
  }
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  v = parseCount(line, s, e);
  if (v < 0) return "bad-number";
  f.totPkts = v;
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  v = parseCount(line, s, e);
  if (v < 0) return "bad-number";
  f.totBytes = v;
  s = e + 1;
  e = line.indexOf(",", s);
  if (e < 0) return "truncated";
  v = parseCount(line, s, e);
  if (v < 0) return "bad-number";
  f.srcBytes = v;
  s = e + 1;
  e = line.length;
  if (line.indexOf(",", s) >= 0) return "wrong-field-count";
  if (s < e && (line.charCodeAt(s) === 32 || line.charCodeAt(e - 1) === 32)) return "truncated";
  if (e - s > 5 && isFlowPrefix(line, s)) s += 5;
  f.label = s < e ? line.slice(s) : null;
  f.srcPkts = null;
  f.dstPkts = null;
  f.extra = null;
  return undefined;
}

/**
 * Argus binetflow lines. A header line (re)defines the columns, also in the middle of a stream (files
 * concatenated); lines before any header are read with the CTU-13 layout.
 */
export class BinetflowParser implements FlowLineParser {
  readonly name = "binetflow";
  private layout: ColumnLayout = CTU13_LAYOUT;
  private ctu13 = true;
  private readonly times = new FlowTimes();

  /** `fastPath: false` reads CTU-13 with the column engine too (for tests that compare the two). */
  constructor(private readonly fastPath = true) {}

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    if (isLetter(line.charCodeAt(0))) return this.header(line);
    const f = into ?? emptyFlow();
    if (this.ctu13 && this.fastPath && parseCtu13(line, this.times, f) === undefined) return f;
    return parseColumns(line, this.layout, this.times, f) ?? f;
  }

  private header(line: string): BadLineReason | null {
    const layout = argusLayout(line);
    if (!layout) return "wrong-format";
    this.layout = layout;
    this.ctu13 = layout.sep === "," && layout.names.join(",") === CTU13_HEADER;
    return null;
  }
}
