/**
 * The column engine under the delimited flow formats (Argus binetflow CSV, nfdump CSV, Zeek TSV): a
 * header maps each column to what it fills in a Flow, and a line is read field by field with indexOf
 * on the separator and char-code scanning, without split(), regular expressions or Date.parse.
 */
import type { BadLineReason } from "../bad-lines.ts";
import type { Flow } from "./record.ts";
import {
  dirName,
  type FlowTimes,
  isAddress,
  isFlowPrefix,
  parseCount,
  parseNumber,
  parsePort,
  protoName,
} from "./scan.ts";

/** What a column fills. */
export const SKIP = 0;
export const START = 1;
/** End time: gives the duration when there is no duration column. */
export const LAST = 2;
export const DUR = 3;
export const PROTO = 4;
export const SADDR = 5;
export const SPORT = 6;
export const DIR = 7;
export const DADDR = 8;
export const DPORT = 9;
export const STATE = 10;
export const STOS = 11;
export const DTOS = 12;
export const TOTPKTS = 13;
export const TOTBYTES = 14;
export const SRCBYTES = 15;
export const SRCPKTS = 16;
export const DSTPKTS = 17;
/** Source packets that also add to the total (sources without a total column). */
export const ADD_SRCPKTS = 18;
export const ADD_DSTPKTS = 19;
export const ADD_SRCBYTES = 20;
export const ADD_DSTBYTES = 21;
export const LABEL = 22;
/** Any other numeric column: into `extra` under the column's name (skipped when not a number). */
export const EXTRA = 23;

export interface ColumnLayout {
  kinds: Uint8Array;
  /** Column names (the keys of `extra`). */
  names: string[];
  /** Field separator. */
  sep: string;
  /** A field equal to this one character means "unset" (Zeek's "-"); null for none. */
  unset: string | null;
  /** Direction of every flow when no column says it. */
  defaultDir: string;
  /** Duration = end - start (an end column and no duration column). */
  durationFromLast: boolean;
}

/** The layout of named columns; `kindOf` says what each name fills. */
export function makeLayout(
  names: string[],
  kindOf: (name: string, all: readonly string[]) => number,
  sep: string,
  unset: string | null = null,
): ColumnLayout {
  const kinds = Uint8Array.from(names.map((n) => kindOf(n, names)));
  const has = (k: number) => kinds.includes(k);
  return {
    kinds,
    names,
    sep,
    unset,
    defaultDir: has(DIR) ? "" : "->",
    durationFromLast: has(LAST) && !has(DUR),
  };
}

/** Whether a layout can make flows: a start time and both addresses. */
export function layoutComplete(l: ColumnLayout): boolean {
  return l.kinds.includes(START) && l.kinds.includes(SADDR) && l.kinds.includes(DADDR);
}

/** A count column: digits, or any plain number; NaN when not a number. */
function count(line: string, a: number, b: number): number {
  const v = parseCount(line, a, b);
  return v >= 0 ? v : parseNumber(line, a, b);
}

/**
 * Reads one line into f (every field overwritten) by the layout; returns the reason when the line is bad.
 * Fields are trimmed of spaces (Argus pads Dir, nfdump pads everything). A bad line whose number of
 * fields is off is reported as truncated (too few) or wrong-field-count (too many), whatever field
 * failed first: that is what went wrong with it.
 */
export function parseColumns(
  line: string,
  l: ColumnLayout,
  times: FlowTimes,
  f: Flow,
): BadLineReason | undefined {
  const r = readColumns(line, l, times, f);
  if (r === undefined || r === "truncated" || r === "wrong-field-count") return r;
  let fields = 1;
  for (let i = line.indexOf(l.sep); i >= 0; i = line.indexOf(l.sep, i + 1)) fields++;
  return fields < l.kinds.length ? "truncated" : fields > l.kinds.length ? "wrong-field-count" : r;
}

function readColumns(line: string, l: ColumnLayout, times: FlowTimes, f: Flow): BadLineReason | undefined {
  const kinds = l.kinds;
  const n = kinds.length;
  const sep = l.sep;
  const unset = l.unset !== null;
  f.duration = 0;
  f.proto = "";
  f.srcPort = null;
  f.dir = l.defaultDir;
  f.dstPort = null;
  f.state = "";
  f.sTos = null;
  f.dTos = null;
  f.totPkts = 0;
  f.totBytes = 0;
  f.srcBytes = 0;
  f.srcPkts = null;
  f.dstPkts = null;
  f.label = null;
  let extra: Record<string, number> | null = null;
  let last = Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let e = line.indexOf(sep, s);
    if (i < n - 1) {
      if (e < 0) return "truncated";
    } else {
      if (e >= 0) return "wrong-field-count";
      e = line.length;
    }
    const k = kinds[i];
    if (k !== SKIP) {
      let a = s;
      let b = e;
      while (a < b && line.charCodeAt(a) === 32) a++;
      while (b > a && line.charCodeAt(b - 1) === 32) b--;
      if (unset && b - a === 1 && line.charCodeAt(a) === 45) b = a;
      let v: number;
      switch (k) {
        case START:
          v = times.parse(line, a, b);
          if (Number.isNaN(v)) return "bad-time";
          f.start = v;
          break;
        case LAST:
          if (a < b) {
            last = times.parse(line, a, b);
            if (Number.isNaN(last)) return "bad-time";
          }
          break;
        case DUR:
          if (a < b) {
            v = parseNumber(line, a, b);
            if (Number.isNaN(v)) return "bad-number";
            f.duration = v;
          }
          break;
        case PROTO:
          f.proto = protoName(line, a, b);
          break;
        case SADDR:
          if (!isAddress(line, a, b)) return "bad-address";
          f.srcAddr = line.slice(a, b);
          break;
        case DADDR:
          if (!isAddress(line, a, b)) return "bad-address";
          f.dstAddr = line.slice(a, b);
          break;
        case SPORT:
          if (a < b) {
            v = parsePort(line, a, b);
            if (v < 0) return "bad-number";
            f.srcPort = v;
          }
          break;
        case DPORT:
          if (a < b) {
            v = parsePort(line, a, b);
            if (v < 0) return "bad-number";
            f.dstPort = v;
          }
          break;
        case DIR:
          f.dir = a < b ? dirName(line, a, b) : "";
          break;
        case STATE:
          f.state = a < b ? line.slice(a, b) : "";
          break;
        case STOS:
          if (a < b) {
            v = count(line, a, b);
            if (Number.isNaN(v)) return "bad-number";
            f.sTos = v;
          }
          break;
        case DTOS:
          if (a < b) {
            v = count(line, a, b);
            if (Number.isNaN(v)) return "bad-number";
            f.dTos = v;
          }
          break;
        case LABEL:
          if (a < b) {
            if (b - a > 5 && isFlowPrefix(line, a)) a += 5;
            f.label = line.slice(a, b);
          }
          break;
        case EXTRA:
          v = parseNumber(line, a, b);
          if (!Number.isNaN(v)) {
            extra ??= {};
            extra[l.names[i]] = v;
          }
          break;
        default:
          // the counts
          if (a < b) {
            v = count(line, a, b);
            if (Number.isNaN(v)) return "bad-number";
            switch (k) {
              case TOTPKTS:
                f.totPkts = v;
                break;
              case TOTBYTES:
                f.totBytes = v;
                break;
              case SRCBYTES:
                f.srcBytes = v;
                break;
              case SRCPKTS:
                f.srcPkts = v;
                break;
              case DSTPKTS:
                f.dstPkts = v;
                break;
              case ADD_SRCPKTS:
                f.srcPkts = v;
                f.totPkts += v;
                break;
              case ADD_DSTPKTS:
                f.dstPkts = v;
                f.totPkts += v;
                break;
              case ADD_SRCBYTES:
                f.srcBytes = v;
                f.totBytes += v;
                break;
              case ADD_DSTBYTES:
                f.totBytes += v;
                break;
            }
          }
      }
    }
    s = e + 1;
  }
  if (l.durationFromLast && !Number.isNaN(last)) f.duration = Math.max(0, last - f.start);
  f.extra = extra;
  return undefined;
}
