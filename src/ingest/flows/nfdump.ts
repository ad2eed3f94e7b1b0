/**
 * nfdump text output:
 * - `nfdump -o csv`: header `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,...` (also without
 *   the header, as -q prints it); the `Summary` trailer is skipped, not counted as bad.
 * - `nfdump -6 -q -N -o "fmt:%ts %sa %sp %da %dp %byt"`: the text relbot's pipeline reads, addresses padded
 *   with spaces; header and summary lines (without -q) are skipped.
 * - `nfdump -o line|long|extended`: the fixed-column layouts with `addr:port` pairs.
 * nfdump prints local time: run it with TZ=UTC, as times are read as UTC.
 */
import {
  ADD_DSTBYTES,
  ADD_DSTPKTS,
  ADD_SRCBYTES,
  ADD_SRCPKTS,
  type ColumnLayout,
  DADDR,
  DPORT,
  DTOS,
  DUR,
  LAST,
  layoutComplete,
  makeLayout,
  PROTO,
  parseColumns,
  SADDR,
  SKIP,
  SPORT,
  START,
  STATE,
  STOS,
} from "./columns.ts";
import { emptyFlow, type Flow, type FlowLineParser, type FlowParseResult } from "./record.ts";
import { FlowTimes, isAddress, parseNumber, parsePort, protoName } from "./scan.ts";

/** The CSV header of nfdump 1.7. */
export const NFDUMP_CSV_HEADER =
  "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln," +
  "ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";

/** nfdump field names that fill a Flow field; the others (interfaces, AS, MACs, MPLS, ...) are skipped. */
const NFDUMP_COLUMNS: Record<string, number> = {
  ts: START,
  te: LAST,
  td: DUR,
  sa: SADDR,
  da: DADDR,
  sp: SPORT,
  dp: DPORT,
  pr: PROTO,
  flg: STATE,
  stos: STOS,
  dtos: DTOS,
  ipkt: ADD_SRCPKTS,
  ibyt: ADD_SRCBYTES,
  opkt: ADD_DSTPKTS,
  obyt: ADD_DSTBYTES,
};

/** The layout of an nfdump CSV header (or of a `fmt:` with these names joined by commas). */
export function nfdumpLayout(header: string): ColumnLayout | null {
  const names = header.split(",").map((n) => n.trim());
  const layout = makeLayout(names, (n) => NFDUMP_COLUMNS[n] ?? SKIP, ",");
  return layoutComplete(layout) ? layout : null;
}

const DEFAULT_CSV_LAYOUT = nfdumpLayout(NFDUMP_CSV_HEADER) as ColumnLayout;

/**
 * The fmt botscope asks nfdump for when it reads nfcapd files (with -6 -q -N and TZ=UTC): every field a
 * Flow has, milliseconds included (nfdump 1.7's CSV drops them), protocol as a number.
 */
export const NFCAPD_FIELDS = "ts,td,pr,sa,sp,da,dp,flg,stos,dtos,ipkt,ibyt,opkt,obyt";
export const NFCAPD_FMT = `fmt:${NFCAPD_FIELDS.split(",")
  .map((f) => `%${f}`)
  .join(",")}`;
const NFCAPD_LAYOUT = nfdumpLayout(NFCAPD_FIELDS) as ColumnLayout;

function isLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

/**
 * `nfdump -o csv` lines. A `ts,...` header (re)defines the columns; without one the nfdump 1.7 column
 * order is assumed. Everything from a `Summary` line to the next header is nfdump's trailer: skipped.
 */
export class NfdumpCsvParser implements FlowLineParser {
  private layout: ColumnLayout;
  private summary = false;
  private readonly times = new FlowTimes();

  constructor(
    readonly name = "nfdump-csv",
    layout: ColumnLayout = DEFAULT_CSV_LAYOUT,
  ) {
    this.layout = layout;
  }

  startFile(): void {
    this.summary = false;
  }

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return this.summary ? null : "empty";
    if (isLetter(line.charCodeAt(0))) {
      if (line.startsWith("ts,")) {
        const layout = nfdumpLayout(line);
        if (!layout) return "wrong-format";
        this.layout = layout;
        this.summary = false;
        return null;
      }
      if (line === "Summary") {
        this.summary = true;
        return null;
      }
      return this.summary || line.startsWith("No match") ? null : "wrong-format";
    }
    if (this.summary) return null;
    const f = into ?? emptyFlow();
    return parseColumns(line, this.layout, this.times, f) ?? f;
  }
}

/** The parser of what `nfdump -o NFCAPD_FMT` prints. */
export function nfcapdTextParser(): NfdumpCsvParser {
  return new NfdumpCsvParser("nfcapd", NFCAPD_LAYOUT);
}

/** nfdump's own header and summary lines of its text layouts (printed without -q). */
const NFDUMP_TEXT_LINE =
  /^(Date (first seen|flow start)|Summary|Time window|Total flows processed|Sys:|Aggregated flows|Top \d|No match)/;

/** Up to `max` whitespace-separated tokens of a line as [start, end) pairs; the count, or max + 1 if more. */
function tokenize(line: string, tok: Int32Array, max: number): number {
  let n = 0;
  let i = 0;
  const len = line.length;
  while (i < len) {
    while (i < len && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i === len) break;
    if (n === max) return max + 1;
    const s = i;
    while (i < len && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    tok[2 * n] = s;
    tok[2 * n + 1] = i;
    n++;
  }
  return n;
}

/** nfdump's scale suffix after a number printed without -N ("1.2 M"). */
function unitScale(line: string, s: number, e: number): number {
  if (e - s !== 1) return 0;
  switch (line.charCodeAt(s)) {
    case 75:
      return 1e3;
    case 77:
      return 1e6;
    case 71:
      return 1e9;
    case 84:
      return 1e12;
  }
  return 0;
}

/**
 * `nfdump -6 -q -N -o "fmt:%ts %sa %sp %da %dp %byt"` lines, relbot's input: start, addresses, ports and
 * bytes; protocol "" (not in the format), packets 0, direction "->".
 */
export class NfdumpFmtParser implements FlowLineParser {
  readonly name = "nfdump-fmt";
  private readonly times = new FlowTimes();
  private readonly tok = new Int32Array(20);

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    if (isLetter(line.charCodeAt(0))) return NFDUMP_TEXT_LINE.test(line) ? null : "wrong-format";
    const t = this.tok;
    const n = tokenize(line, t, 8);
    if (n < 7) return "truncated";
    if (n > 8) return "wrong-field-count";
    // the time is two tokens: date and time of day
    const start = this.times.parse(line, t[0], t[3]);
    if (Number.isNaN(start)) return "bad-time";
    if (!isAddress(line, t[4], t[5]) || !isAddress(line, t[8], t[9])) return "bad-address";
    const sp = parsePort(line, t[6], t[7]);
    const dp = parsePort(line, t[10], t[11]);
    if (sp < 0 || dp < 0) return "bad-number";
    let bytes = parseNumber(line, t[12], t[13]);
    if (n === 8) {
      const scale = unitScale(line, t[14], t[15]);
      if (scale === 0) return "wrong-field-count";
      bytes = Math.round(bytes * scale);
    }
    if (Number.isNaN(bytes)) return "bad-number";
    const f = into ?? emptyFlow();
    f.start = start;
    f.duration = 0;
    f.proto = "";
    f.srcAddr = line.slice(t[4], t[5]);
    f.srcPort = sp;
    f.dir = "->";
    f.dstAddr = line.slice(t[8], t[9]);
    f.dstPort = dp;
    f.state = "";
    f.sTos = null;
    f.dTos = null;
    f.totPkts = 0;
    f.totBytes = bytes;
    f.srcBytes = bytes;
    f.srcPkts = null;
    f.dstPkts = null;
    f.label = null;
    f.extra = null;
    return f;
  }
}

/** An nfdump duration: seconds ("0.169", nfdump 1.6) or "HH:MM:SS.mmm" (1.7); NaN when neither. */
function nfdumpDuration(line: string, s: number, e: number): number {
  if (e - s >= 8 && line.charCodeAt(s + 2) === 58 && line.charCodeAt(s + 5) === 58) {
    const h = parseNumber(line, s, s + 2);
    const m = parseNumber(line, s + 3, s + 5);
    const sec = parseNumber(line, s + 6, e);
    return h * 3600 + m * 60 + sec;
  }
  return parseNumber(line, s, e);
}

/** Splits nfdump's "addr:port" (IPv4) or "addr.port" (IPv6) at the port separator; -1 when none. */
function portSeparator(line: string, s: number, e: number): number {
  const colon = line.lastIndexOf(":", e - 1);
  if (colon < s) return -1;
  if (line.indexOf(":", s) === colon) return colon; // IPv4: one colon
  // IPv6: the port follows the last dot, ICMP's type.code the second last
  const dot = line.lastIndexOf(".", e - 1);
  return dot > colon ? dot : -1;
}

const FLAGS = /^[.UAPRSFCEX]{6,8}$|^0x[0-9a-f]+$/i;

/**
 * `nfdump -o line`, `-o long` and `-o extended`: date, time, duration, protocol, src addr:port, ->,
 * dst addr:port, [flags, tos,] packets, bytes, [pps, bps, Bpp,] flows. Numbers may carry nfdump's
 * K/M/G suffix (without -N). IPv6 addresses abbreviated with ".." (nfdump without -6) are bad addresses.
 */
export class NfdumpLineParser implements FlowLineParser {
  readonly name = "nfdump-line";
  private readonly times = new FlowTimes();
  private readonly tok = new Int32Array(40);

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    if (isLetter(line.charCodeAt(0))) return NFDUMP_TEXT_LINE.test(line) ? null : "wrong-format";
    const t = this.tok;
    const n = tokenize(line, t, 19);
    if (n < 10) return "truncated";
    if (n > 19) return "wrong-field-count";
    const start = this.times.parse(line, t[0], t[3]);
    if (Number.isNaN(start)) return "bad-time";
    const duration = nfdumpDuration(line, t[4], t[5]);
    if (Number.isNaN(duration)) return "bad-number";
    const arrow = line.slice(t[10], t[11]);
    if (arrow !== "->" && arrow !== "<->" && arrow !== "<-") return "wrong-format";
    const ss = portSeparator(line, t[8], t[9]);
    const ds = portSeparator(line, t[12], t[13]);
    if (ss < 0 || ds < 0 || !isAddress(line, t[8], ss) || !isAddress(line, t[12], ds)) return "bad-address";
    const sp = parsePort(line, ss + 1, t[9]);
    const dp = parsePort(line, ds + 1, t[13]);
    if (sp < 0 || dp < 0) return "bad-number";
    let i = 7;
    let state = "";
    let tos: number | null = null;
    if (FLAGS.test(line.slice(t[14], t[15]))) {
      state = line.slice(t[14], t[15]);
      tos = parseNumber(line, t[16], t[17]);
      if (Number.isNaN(tos)) return "bad-number";
      i = 9;
    }
    // packets, bytes (each maybe with a unit), then rates and flows we do not need
    const nums: number[] = [];
    for (; i < n && nums.length < 2; i++) {
      let v = parseNumber(line, t[2 * i], t[2 * i + 1]);
      if (Number.isNaN(v)) return "bad-number";
      const scale = i + 1 < n ? unitScale(line, t[2 * i + 2], t[2 * i + 3]) : 0;
      if (scale) {
        v = Math.round(v * scale);
        i++;
      }
      nums.push(v);
    }
    if (nums.length < 2) return "truncated";
    const f = into ?? emptyFlow();
    f.start = start;
    f.duration = duration;
    f.proto = protoName(line, t[6], t[7]);
    f.srcAddr = line.slice(t[8], ss);
    f.srcPort = sp;
    f.dir = arrow;
    f.dstAddr = line.slice(t[12], ds);
    f.dstPort = dp;
    f.state = state;
    f.sTos = tos;
    f.dTos = null;
    f.totPkts = nums[0];
    f.totBytes = nums[1];
    f.srcBytes = nums[1];
    f.srcPkts = nums[0];
    f.dstPkts = null;
    f.label = null;
    f.extra = null;
    return f;
  }
}
