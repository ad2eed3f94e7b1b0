/**
 * Char-code scanners shared by the flow parsers: they read a field line[s, e) in place, without slicing,
 * splitting or regular expressions, so a parser costs a few indexOf calls and loops per line.
 */
import { detach } from "../../core/strings.ts";
import { daysFromCivil } from "../weblog/time.ts";

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
const SAFE = Number.MAX_SAFE_INTEGER;

/** First index in [s, e) that is not a space. */
export function skipSpaces(line: string, s: number, e: number): number {
  while (s < e && line.charCodeAt(s) === 32) s++;
  return s;
}

/** End of line[s, e) with trailing spaces dropped. */
export function trimEnd(line: string, s: number, e: number): number {
  while (e > s && line.charCodeAt(e - 1) === 32) e--;
  return e;
}

/**
 * A decimal number "123", "12.5", "0.000467" read exactly as Number() would (digits as an integer, one
 * correctly rounded division), other spellings ("1e3", "-2") through Number(); NaN when not a number.
 */
export function parseNumber(line: string, s: number, e: number): number {
  if (s >= e) return Number.NaN;
  let v = 0;
  let i = s;
  for (; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  if (i === e) return i - s <= 15 ? v : Number(line.slice(s, e));
  if (line.charCodeAt(i) === 46 && i > s) {
    const dot = i;
    for (i++; i < e; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    const n = e - dot - 1;
    if (i === e && n <= 12 && v <= SAFE) return n === 0 ? v : v / POW10[n];
  }
  const text = line.slice(s, e);
  const x = Number(text);
  // Number() also takes "", " ", "0x10" and "Infinity": only plain finite decimals are numbers here
  return Number.isFinite(x) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? x : Number.NaN;
}

/** A non-negative integer of at most 15 digits; -1 when anything else. */
export function parseCount(line: string, s: number, e: number): number {
  if (s >= e || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * A port: decimal, hex with 0x as Argus prints ICMP type/code (0x0008), or nfdump's ICMP type.code (8.0).
 * -1 when none of these.
 */
export function parsePort(line: string, s: number, e: number): number {
  if (e - s > 2 && line.charCodeAt(s) === 48 && (line.charCodeAt(s + 1) | 32) === 120) {
    if (e - s > 10) return -1;
    let v = 0;
    for (let i = s + 2; i < e; i++) {
      const c = line.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if ((c | 32) >= 97 && (c | 32) <= 102) d = (c | 32) - 87;
      else return -1;
      v = v * 16 + d;
    }
    return v;
  }
  const v = parseCount(line, s, e);
  if (v >= 0) return v > 0xffffffff ? -1 : v;
  // nfdump prints ICMP type.code in the port column: 8.0 -> 8 * 256 + 0, as nfdump keeps it
  const dot = line.indexOf(".", s);
  if (dot > s && dot < e - 1) {
    const type = parseCount(line, s, dot);
    const code = parseCount(line, dot + 1, e);
    if (type >= 0 && type < 256 && code >= 0 && code < 256) return type * 256 + code;
  }
  return -1;
}

/**
 * Whether line[s, e) can be an address: IPv4, IPv6 (optionally with a %zone) or a MAC, i.e. hex digits,
 * dots and colons. A cheap structural check that catches garbage, not a full validation.
 */
export function isAddress(line: string, s: number, e: number): boolean {
  if (s >= e || e - s > 64) return false;
  let digits = 0;
  let prev = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46) {
      // ".." never occurs in an address (nfdump abbreviates IPv6 that way without -6)
      if (prev === 46) return false;
    } else if (c === 58 || ((c | 32) >= 97 && (c | 32) <= 102)) {
      if (c !== 58) digits++;
    } else if (c === 37 && i > s)
      return digits > 0; // %zone
    else return false;
    prev = c;
  }
  return digits > 0;
}

/** "flow=" at s (CTU-13's label prefix), by char codes: startsWith with a position is slow in V8. */
export function isFlowPrefix(line: string, s: number): boolean {
  return (
    line.charCodeAt(s + 4) === 61 &&
    line.charCodeAt(s) === 102 &&
    line.charCodeAt(s + 1) === 108 &&
    line.charCodeAt(s + 2) === 111 &&
    line.charCodeAt(s + 3) === 119
  );
}

/** Protocol names by IANA number, for sources that print numbers (nfdump -N). */
const PROTO_BY_NUMBER: Record<number, string> = {
  0: "hopopt",
  1: "icmp",
  2: "igmp",
  4: "ipv4",
  6: "tcp",
  17: "udp",
  41: "ipv6",
  43: "ipv6-route",
  44: "ipv6-frag",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "ipv6-icmp",
  59: "ipv6-nonxt",
  60: "ipv6-opts",
  89: "ospf",
  103: "pim",
  112: "vrrp",
  115: "l2tp",
  132: "sctp",
};

const protoCache = new Map<string, string>();

/** Lower-case protocol name of line[s, e): common ones without allocating; numbers mapped to names. */
export function protoName(line: string, s: number, e: number): string {
  const n = e - s;
  if (n === 3) {
    const a = line.charCodeAt(s) | 32;
    const b = line.charCodeAt(s + 1) | 32;
    const c = line.charCodeAt(s + 2) | 32;
    if (a === 116 && b === 99 && c === 112) return "tcp";
    if (a === 117 && b === 100 && c === 112) return "udp";
    if (a === 97 && b === 114 && c === 112) return "arp";
  } else if (n === 4) {
    if (
      (line.charCodeAt(s) | 32) === 105 &&
      (line.charCodeAt(s + 1) | 32) === 99 &&
      (line.charCodeAt(s + 2) | 32) === 109 &&
      (line.charCodeAt(s + 3) | 32) === 112
    )
      return "icmp";
  } else if (n === 0) return "";
  const raw = line.slice(s, e);
  let name = protoCache.get(raw);
  if (name === undefined) {
    const num = parseCount(line, s, e);
    name = num >= 0 ? (PROTO_BY_NUMBER[num] ?? String(num)) : detach(raw.toLowerCase());
    if (protoCache.size < 1000) protoCache.set(detach(raw), name);
  }
  return name;
}

/** Argus direction of line[s, e) (already trimmed): the usual ones without allocating. */
export function dirName(line: string, s: number, e: number): string {
  const n = e - s;
  const a = line.charCodeAt(s);
  const b = line.charCodeAt(s + 1);
  if (n === 2) {
    if (a === 45 && b === 62) return "->";
    if (a === 60 && b === 45) return "<-";
    if (a === 63 && b === 62) return "?>";
    if (a === 60 && b === 63) return "<?";
  } else if (n === 3) {
    const c = line.charCodeAt(s + 2);
    if (a === 60 && c === 62) {
      if (b === 45) return "<->";
      if (b === 63) return "<?>";
    }
    if (a === 119 && b === 104 && c === 111) return "who";
  }
  return line.slice(s, e);
}

/**
 * Flow start times to epoch seconds (UTC), NaN when malformed:
 * `2011/08/16 10:01:46.972101` (Argus), `2018-01-12 15:37:30.942` (nfdump), `2012-03-16T12:30:00.5Z` and
 * offsets `+02:00` (ISO), and epoch seconds `1313488906.972101`. The date and hour of the last line are
 * cached, so consecutive lines cost a string compare and a few digits.
 */
export class FlowTimes {
  /** Char codes of the cached "YYYY/MM/DD HH" (compared from the hour back: what changes first). */
  private readonly key = new Uint16Array(13);
  private keyed = false;
  private base = 0;

  parse(line: string, s: number, e: number): number {
    if (e - s >= 19 && (line.charCodeAt(s + 4) === 47 || line.charCodeAt(s + 4) === 45)) {
      let base: number;
      if (this.keyed && this.sameHour(line, s)) base = this.base;
      else {
        base = this.hour(line, s);
        if (Number.isNaN(base)) return base;
      }
      if (line.charCodeAt(s + 13) !== 58 || line.charCodeAt(s + 16) !== 58) return Number.NaN;
      const mm = d2(line, s + 14);
      const ss = d2(line, s + 17);
      if (!(mm < 60 && ss <= 60)) return Number.NaN;
      let sec = base + mm * 60 + ss;
      let i = s + 19;
      let frac = 0;
      let n = 0;
      if (i < e && line.charCodeAt(i) === 46) {
        for (i++; i < e; i++) {
          const c = line.charCodeAt(i) - 48;
          if (c < 0 || c > 9) break;
          if (n < 9) {
            frac = frac * 10 + c;
            n++;
          }
        }
        if (n === 0) return Number.NaN;
      }
      if (i < e) {
        const c = line.charCodeAt(i);
        if (c === 90 && i + 1 === e) {
          // Z
        } else if ((c === 43 || c === 45) && (e - i === 6 || e - i === 5 || e - i === 3)) {
          const hh = d2(line, i + 1);
          const colon = line.charCodeAt(i + 3) === 58 ? 1 : 0;
          const mi = e - i === 3 ? 0 : d2(line, i + 3 + colon);
          if (!(hh <= 14 && mi < 60)) return Number.NaN;
          sec -= (c === 43 ? 1 : -1) * (hh * 3600 + mi * 60);
        } else return Number.NaN;
      }
      if (n === 0) return sec;
      return n <= 6 ? (sec * POW10[n] + frac) / POW10[n] : sec + frac / POW10[n];
    }
    // epoch seconds
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === s || i - s > 11) return Number.NaN;
    if (i === e) return v;
    if (line.charCodeAt(i) !== 46) return Number.NaN;
    let frac = 0;
    let n = 0;
    for (i++; i < e; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return Number.NaN;
      if (n < 9) {
        frac = frac * 10 + c;
        n++;
      }
    }
    if (n === 0) return v;
    return n <= 6 ? (v * POW10[n] + frac) / POW10[n] : v + frac / POW10[n];
  }

  private sameHour(line: string, s: number): boolean {
    const k = this.key;
    for (let i = 12; i >= 0; i--) if (line.charCodeAt(s + i) !== k[i]) return false;
    return true;
  }

  /** Epoch seconds of the date and hour at line[s, s+13), cached as the key for the next lines. */
  private hour(line: string, s: number): number {
    const sep = line.charCodeAt(s + 4);
    if (line.charCodeAt(s + 7) !== sep) return Number.NaN;
    const t = line.charCodeAt(s + 10);
    if (t !== 32 && t !== 84) return Number.NaN;
    const y = d2(line, s) * 100 + d2(line, s + 2);
    const m = d2(line, s + 5);
    const d = d2(line, s + 8);
    const h = d2(line, s + 11);
    if (!(y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && h < 24)) return Number.NaN;
    this.base = daysFromCivil(y, m, d) * 86400 + h * 3600;
    for (let i = 0; i < 13; i++) this.key[i] = line.charCodeAt(s + i);
    this.keyed = true;
    return this.base;
  }
}

/** Two digits at i, NaN when not digits. */
function d2(line: string, i: number): number {
  const a = line.charCodeAt(i) - 48;
  const b = line.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}
