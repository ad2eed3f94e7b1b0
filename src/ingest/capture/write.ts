/**
 * Flows as text: Argus binetflow in CTU-13's layout (what `ra -c ,` prints, readable by every flow
 * command) and JSON lines (every Flow field, extra included).
 */
import type { Flow } from "../flows/record.ts";

export const BINETFLOW_HEADER =
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "000" to "999": six decimal places made of two table lookups instead of padStart. */
const D3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

function sixDigits(n: number): string {
  return D3[Math.floor(n / 1000)] + D3[n % 1000];
}

// flows come in start order: the date and time of one second are made once for all its flows
let lastSecond = Number.NaN;
let lastSecondText = "";

/** `2023/11/14 22:13:20.` for a second since the epoch (UTC). */
function secondText(sec: number): string {
  if (sec !== lastSecond) {
    const d = new Date(sec * 1000);
    // one flat string: the encoder reads its characters
    lastSecondText = [
      d.getUTCFullYear(),
      "/",
      pad2(d.getUTCMonth() + 1),
      "/",
      pad2(d.getUTCDate()),
      " ",
      pad2(d.getUTCHours()),
      ":",
      pad2(d.getUTCMinutes()),
      ":",
      pad2(d.getUTCSeconds()),
      ".",
    ].join("");
    lastSecond = sec;
  }
  return lastSecondText;
}

/** `2023/11/14 22:13:20.000000` (UTC, microseconds). */
export function argusTime(epochSeconds: number): string {
  const us = Math.round(epochSeconds * 1e6);
  const sec = Math.floor(us / 1e6);
  return secondText(sec) + sixDigits(us - sec * 1e6);
}

/**
 * A duration (>= 0) in whole microseconds as toFixed(6) rounds it, or -1 where integer arithmetic
 * cannot tell (a value within a rounding error of half a microsecond: only nanosecond captures; huge
 * or negative values): toFixed's exact rounding is used there.
 */
function durationMicros(seconds: number): number {
  const scaled = seconds * 1e6;
  const us = Math.round(scaled);
  if (!(scaled >= 0 && scaled < 9e15) || Math.abs(Math.abs(scaled - us) - 0.5) < 1e-6) return -1;
  return us;
}

/** `seconds.toFixed(6)` for a duration (>= 0), by integer arithmetic where that is exact. */
export function durationText(seconds: number): string {
  const us = durationMicros(seconds);
  if (us < 0) return seconds.toFixed(6);
  const whole = Math.floor(us / 1e6);
  return `${whole}.${sixDigits(us - whole * 1e6)}`;
}

const COMMA = 44;
const NEWLINE = 10;
const HEX = "0123456789abcdef";
/** "00" to "99" and "000" to "999" as bytes: one division writes two or three digits. */
const DIGIT_PAIRS = new Uint8Array(200).map(
  (_, i) => 48 + (i % 2 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)),
);
const DIGIT_TRIPLES = Uint8Array.from(D3.join(""), (c) => c.charCodeAt(0));

/**
 * Binetflow lines written straight into bytes: no string per line or field, no join, no UTF-8
 * encoding pass (a -S 5 capture makes half a million lines). `take` hands the bytes written so far
 * over (the encoder goes on in a new buffer, so they can wait in a stream).
 */
export class BinetflowEncoder {
  private buf: Buffer;
  private pos = 0;
  /** The date and time of the last second written, as bytes (flows come in start order). */
  private second = Number.NaN;
  private secondBytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly size = 1 << 18) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Bytes written and not taken yet. */
  get length(): number {
    return this.pos;
  }

  /** Appends the header line. */
  header(): void {
    this.text(BINETFLOW_HEADER);
    this.buf[this.pos++] = NEWLINE;
  }

  /** Appends f's line and a newline; the label column as CTU-13 writes it ("flow=..."), empty when none. */
  line(f: Flow): void {
    this.begin();
    this.time(f.start);
    this.comma();
    this.duration(f.duration);
    this.comma();
    this.text(f.proto);
    this.comma();
    this.text(f.srcAddr);
    this.comma();
    const icmp = f.proto === "icmp";
    if (f.srcPort !== null) this.port(icmp, f.srcPort);
    this.comma();
    for (let i = f.dir.length; i < 5; i++) this.buf[this.pos++] = 32;
    this.text(f.dir);
    this.comma();
    this.text(f.dstAddr);
    this.comma();
    if (f.dstPort !== null) this.port(icmp, f.dstPort);
    this.comma();
    this.text(f.state);
    this.comma();
    if (f.sTos !== null) this.number(f.sTos);
    this.comma();
    if (f.dTos !== null) this.number(f.dTos);
    this.comma();
    this.number(f.totPkts);
    this.comma();
    this.number(f.totBytes);
    this.comma();
    this.number(f.srcBytes);
    this.comma();
    if (f.label !== null) {
      this.text("flow=");
      this.text(f.label);
    }
    this.end();
  }

  // The fields of a line, for writers that have no Flow (capture records write theirs from the flow
  // table's rows: see FlowMaker.binetflow). begin() leaves room for the numbers and commas of a line;
  // text and ascii leave room for those after them.

  begin(): void {
    this.room(256);
  }

  /** The newline that ends a line. */
  end(): void {
    this.room(1);
    this.buf[this.pos++] = NEWLINE;
  }

  comma(): void {
    this.buf[this.pos++] = COMMA;
  }

  /** A start time as `2023/11/14 22:13:20.000000` (UTC, microseconds). */
  time(epochSeconds: number): void {
    const us = Math.round(epochSeconds * 1e6);
    const sec = Math.floor(us / 1e6);
    if (sec !== this.second) {
      this.second = sec;
      this.secondBytes = asciiBytes(secondText(sec));
    }
    this.ascii(this.secondBytes);
    this.six(us - sec * 1e6);
  }

  /** A duration (>= 0) as toFixed(6) writes it. */
  duration(seconds: number): void {
    const dur = durationMicros(seconds);
    if (dur < 0) this.text(seconds.toFixed(6));
    else {
      const whole = Math.floor(dur / 1e6);
      this.number(whole);
      this.buf[this.pos++] = 46;
      this.six(dur - whole * 1e6);
    }
  }

  /**
   * ASCII text byte by byte; anything else through the UTF-8 encoder. Leaves room for the numbers and
   * commas that follow a field (line() reserves room only once).
   */
  text(s: string): void {
    this.room(s.length * 3 + 128);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        this.pos = start + b.write(s, start, "utf8");
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** Bytes of ASCII text made once (see asciiBytes). */
  ascii(bytes: Uint8Array): void {
    this.room(bytes.length + 128);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) b[p++] = bytes[i];
    this.pos = p;
  }

  /** An IPv4 address (a 32-bit word, first octet highest) in dotted decimal. */
  ipv4(w: number): void {
    this.octet(w >>> 24);
    this.buf[this.pos++] = 46;
    this.octet((w >>> 16) & 255);
    this.buf[this.pos++] = 46;
    this.octet((w >>> 8) & 255);
    this.buf[this.pos++] = 46;
    this.octet(w & 255);
  }

  /** A number as String(n) writes it (whole numbers below 2^31 by pairs of digits). */
  number(n: number): void {
    if (n >= 0 && n < 2147483648 && (n | 0) === n) this.int(n | 0);
    else this.text(String(n));
  }

  /** Ports as ra prints them: ICMP in hex (0x0303), everything else (ICMPv6 included) in decimal. */
  port(icmp: boolean, p: number): void {
    if (!icmp) {
      this.number(p);
      return;
    }
    const v = p & 0xffff;
    const b = this.buf;
    b[this.pos++] = 48;
    b[this.pos++] = 120;
    for (let shift = 12; shift >= 0; shift -= 4) b[this.pos++] = HEX.charCodeAt((v >> shift) & 15);
  }

  /** The bytes written so far; the encoder starts a new buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return out;
  }

  /** The one line written since the last take, as text without its newline; the buffer is reused. */
  takeLine(): string {
    const text = this.buf.toString("utf8", 0, this.pos - 1);
    this.pos = 0;
    return text;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A whole number 0 <= n < 2^31 (32-bit arithmetic: no float division). */
  private int(n: number): void {
    const b = this.buf;
    const digits =
      n < 10
        ? 1
        : n < 100
          ? 2
          : n < 1e3
            ? 3
            : n < 1e4
              ? 4
              : n < 1e5
                ? 5
                : n < 1e6
                  ? 6
                  : n < 1e7
                    ? 7
                    : n < 1e8
                      ? 8
                      : n < 1e9
                        ? 9
                        : 10;
    let p = this.pos + digits;
    this.pos = p;
    let x = n;
    while (x >= 100) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) << 1;
      b[--p] = DIGIT_PAIRS[r + 1];
      b[--p] = DIGIT_PAIRS[r];
      x = q;
    }
    if (x >= 10) {
      b[--p] = DIGIT_PAIRS[2 * x + 1];
      b[--p] = DIGIT_PAIRS[2 * x];
    } else b[--p] = 48 + x;
  }

  /** An octet (0-255) without leading zeros. */
  private octet(o: number): void {
    const b = this.buf;
    let p = this.pos;
    if (o >= 100) {
      const t = 3 * o;
      b[p++] = DIGIT_TRIPLES[t];
      b[p++] = DIGIT_TRIPLES[t + 1];
      b[p++] = DIGIT_TRIPLES[t + 2];
    } else if (o >= 10) {
      b[p++] = DIGIT_PAIRS[2 * o];
      b[p++] = DIGIT_PAIRS[2 * o + 1];
    } else b[p++] = 48 + o;
    this.pos = p;
  }

  /** Six digits with leading zeros (0 <= n < 1e6), as two triples. */
  private six(n: number): void {
    const b = this.buf;
    const p = this.pos;
    const hi = (n / 1000) | 0;
    const h = 3 * hi;
    const l = 3 * (n - hi * 1000);
    b[p] = DIGIT_TRIPLES[h];
    b[p + 1] = DIGIT_TRIPLES[h + 1];
    b[p + 2] = DIGIT_TRIPLES[h + 2];
    b[p + 3] = DIGIT_TRIPLES[l];
    b[p + 4] = DIGIT_TRIPLES[l + 1];
    b[p + 5] = DIGIT_TRIPLES[l + 2];
    this.pos = p + 6;
  }
}

/** The bytes of ASCII text, for BinetflowEncoder.ascii (text made once and written many times). */
export function asciiBytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const single = new BinetflowEncoder(1024);

/** One binetflow line (no newline), as BinetflowEncoder writes it. */
export function binetflowLine(f: Flow): string {
  single.line(f);
  return single.takeLine();
}

/** One JSON line (no newline). */
export function jsonLine(f: Flow): string {
  return JSON.stringify(f);
}
