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

const NEWLINE = 10;
const HEX = "0123456789abcdef";

// Whole pieces of text as little-endian words, each written with one store: "00" to "99" (16 bits),
// "000" to "999" and each octet of an address with its dot ("7.", "42.", "192."; up to 32 bits).
const PAIR16 = Uint16Array.from({ length: 100 }, (_, i) => asciiWord(D3[i].slice(1)));
const TRIPLE32 = Uint32Array.from({ length: 1000 }, (_, i) => asciiWord(D3[i]));
const OCTET_DOT = Uint32Array.from({ length: 256 }, (_, i) => asciiWord(`${i}.`));
const OCTET_DOT_LENGTH = Uint8Array.from({ length: 256 }, (_, i) => String(i).length + 1);

/** Up to four ASCII characters as a little-endian word (the first character in the lowest byte). */
function asciiWord(s: string): number {
  let w = 0;
  for (let i = s.length - 1; i >= 0; i--) w = (w << 8) | s.charCodeAt(i);
  return w >>> 0;
}

/**
 * Room for a line apart from its text fields: numbers as long as String makes them, times, ports,
 * commas, and the up to 3 bytes that a word store writes past its field (the next field overwrites them).
 */
const LINE_ROOM = 512;

/**
 * Binetflow lines written straight into bytes: no string per line or field, no join, no UTF-8
 * encoding pass (a -S 5 capture makes half a million lines). `take` hands the bytes written so far
 * over (the encoder goes on in a new buffer, so they can wait in a stream).
 *
 * A line is written with the position in a local variable, field by field with the put functions
 * below (a position kept in the object would be stored and loaded again for every field): line()
 * from a Flow, FlowMaker.binetflow from the flow table's row of a capture record. Both call reserve()
 * first, then write from `pos` into `buf` and `view`, and set `pos` to the end of the line.
 */
export class BinetflowEncoder {
  buf: Buffer;
  /** The same bytes, for stores of several at once. */
  view: DataView;
  pos = 0;
  /** The minute of the last start time written (flows come in start order) and its text up to the seconds. */
  private minute = Number.NaN;
  private minuteText = asciiText("");

  /** Where buffers come from when not Buffer.allocUnsafe (see place). */
  private alloc: ((bytes: number) => Uint8Array) | undefined;

  constructor(private readonly size = 1 << 18) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = viewOf(this.buf);
  }

  /**
   * Moves the buffer (and the bytes not taken yet) into memory from `alloc`, a capture kernel's whose
   * binetflow writer writes lines there; take() then copies the bytes out and the buffer is reused.
   * Without `alloc`, back to buffers of its own.
   */
  place(alloc?: (bytes: number) => Uint8Array): void {
    const pending = this.buf.subarray(0, this.pos);
    this.alloc = alloc;
    this.buf = this.newBuffer(Math.max(this.size, this.pos + LINE_ROOM));
    this.buf.set(pending);
    this.view = viewOf(this.buf);
  }

  private newBuffer(bytes: number): Buffer {
    if (!this.alloc) return Buffer.allocUnsafe(bytes);
    const u = this.alloc(bytes);
    return Buffer.from(u.buffer, u.byteOffset, u.length);
  }

  /** Bytes written and not taken yet. */
  get length(): number {
    return this.pos;
  }

  /** The header line. */
  header(): void {
    this.reserve(BINETFLOW_HEADER.length);
    this.pos = putText(this.buf, this.pos, BINETFLOW_HEADER);
    this.buf[this.pos++] = NEWLINE;
  }

  /** Appends f's line and a newline; the label column as CTU-13 writes it ("flow=..."), empty when none. */
  line(f: Flow): void {
    const label = f.label ?? "";
    this.reserve(
      f.proto.length + f.srcAddr.length + f.dir.length + f.dstAddr.length + f.state.length + label.length + 5,
    );
    const b = this.buf;
    const v = this.view;
    let p = this.putTime(this.pos, f.start);
    b[p++] = COMMA;
    p = putDuration(b, v, p, f.duration);
    b[p++] = COMMA;
    p = putText(b, p, f.proto);
    b[p++] = COMMA;
    p = putText(b, p, f.srcAddr);
    b[p++] = COMMA;
    const icmp = f.proto === "icmp";
    if (f.srcPort !== null) p = putPort(b, v, p, icmp, f.srcPort);
    b[p++] = COMMA;
    for (let i = f.dir.length; i < 5; i++) b[p++] = 32;
    p = putText(b, p, f.dir);
    b[p++] = COMMA;
    p = putText(b, p, f.dstAddr);
    b[p++] = COMMA;
    if (f.dstPort !== null) p = putPort(b, v, p, icmp, f.dstPort);
    b[p++] = COMMA;
    p = putText(b, p, f.state);
    b[p++] = COMMA;
    if (f.sTos !== null) p = putNumber(b, v, p, f.sTos);
    b[p++] = COMMA;
    if (f.dTos !== null) p = putNumber(b, v, p, f.dTos);
    b[p++] = COMMA;
    p = putNumber(b, v, p, f.totPkts);
    b[p++] = COMMA;
    p = putNumber(b, v, p, f.totBytes);
    b[p++] = COMMA;
    p = putNumber(b, v, p, f.srcBytes);
    b[p++] = COMMA;
    if (f.label !== null) {
      p = putText(b, p, "flow=");
      p = putText(b, p, f.label);
    }
    b[p++] = NEWLINE;
    this.pos = p;
  }

  /** Makes room at `pos` for a line whose text fields hold up to `textLength` characters. */
  reserve(textLength: number): void {
    const need = this.pos + LINE_ROOM + 3 * textLength;
    if (need <= this.buf.length) return;
    const grown = this.newBuffer(Math.max(this.buf.length * 2, need));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = viewOf(grown);
  }

  /** Writes a start time at p as `2023/11/14 22:13:20.000000` (UTC, microseconds); returns its end. */
  putTime(p: number, epochSeconds: number): number {
    const us = Math.round(epochSeconds * 1e6);
    const sec = Math.floor(us / 1e6);
    const minute = Math.floor(sec / 60);
    if (minute !== this.minute) {
      this.minute = minute;
      // "2023/11/14 22:13:" (without "00.")
      this.minuteText = asciiText(secondText(minute * 60).slice(0, -3));
    }
    const v = this.view;
    const q = putAscii(v, p, this.minuteText);
    v.setUint16(q, PAIR16[sec - minute * 60], true);
    v.setUint8(q + 2, 46);
    return putSix(v, q + 3, us - sec * 1e6);
  }

  /** The bytes written so far; the encoder starts a new buffer. */
  take(): Buffer {
    if (this.alloc) {
      // set(), not Buffer.from: that copies a shared memory's bytes one by one
      const copy = Buffer.allocUnsafe(this.pos);
      copy.set(this.buf.subarray(0, this.pos));
      this.pos = 0;
      return copy;
    }
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.view = viewOf(this.buf);
    this.pos = 0;
    return out;
  }

  /** The one line written since the last take, as text without its newline; the buffer is reused. */
  takeLine(): string {
    const text = this.buf.toString("utf8", 0, this.pos - 1);
    this.pos = 0;
    return text;
  }
}

// The put functions write one field at p and return its end. There must be room (see reserve).

export const COMMA = 44;

/** ASCII text byte by byte; anything else through the UTF-8 encoder (up to 3 bytes a character). */
export function putText(b: Buffer, p: number, s: string): number {
  const start = p;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return start + b.write(s, start, "utf8");
    b[p++] = c;
  }
  return p;
}

/** ASCII text made once (see asciiText), a word at a time. */
export function putAscii(v: DataView, p: number, t: AsciiText): number {
  const w = t.words;
  for (let i = 0; i < w.length; i++) v.setUint32(p + 4 * i, w[i], true);
  return p + t.length;
}

/** A number as String(n) writes it (whole numbers below 2^31 by pairs of digits). */
export function putNumber(b: Buffer, v: DataView, p: number, n: number): number {
  if (n >= 0 && n < 2147483648 && (n | 0) === n) return putInt(v, p, n | 0);
  return putText(b, p, String(n));
}

/** A whole number 0 <= n < 2^31 (32-bit arithmetic: no float division). */
function putInt(v: DataView, p: number, n: number): number {
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
  const end = p + digits;
  let q = end;
  let x = n;
  while (x >= 100) {
    const h = (x / 100) | 0;
    q -= 2;
    v.setUint16(q, PAIR16[x - h * 100], true);
    x = h;
  }
  if (x >= 10) v.setUint16(q - 2, PAIR16[x], true);
  else v.setUint8(q - 1, 48 + x);
  return end;
}

/** A duration (>= 0) as toFixed(6) writes it. */
export function putDuration(b: Buffer, v: DataView, p: number, seconds: number): number {
  const us = durationMicros(seconds);
  if (us < 0) return putText(b, p, seconds.toFixed(6));
  const whole = Math.floor(us / 1e6);
  const q = putNumber(b, v, p, whole);
  b[q] = 46;
  return putSix(v, q + 1, us - whole * 1e6);
}

/** Six digits with leading zeros (0 <= n < 1e6), as two triples. */
function putSix(v: DataView, p: number, n: number): number {
  const hi = (n / 1000) | 0;
  v.setUint32(p, TRIPLE32[hi], true);
  v.setUint32(p + 3, TRIPLE32[n - hi * 1000], true);
  return p + 6;
}

/** An IPv4 address (a 32-bit word, first octet highest) in dotted decimal. */
export function putIpv4(v: DataView, p: number, w: number): number {
  let o = w >>> 24;
  v.setUint32(p, OCTET_DOT[o], true);
  p += OCTET_DOT_LENGTH[o];
  o = (w >>> 16) & 255;
  v.setUint32(p, OCTET_DOT[o], true);
  p += OCTET_DOT_LENGTH[o];
  o = (w >>> 8) & 255;
  v.setUint32(p, OCTET_DOT[o], true);
  p += OCTET_DOT_LENGTH[o];
  o = w & 255;
  v.setUint32(p, OCTET_DOT[o], true);
  // the last octet without its dot
  return p + OCTET_DOT_LENGTH[o] - 1;
}

/** A port as ra prints it: ICMP in hex (0x0303), everything else (ICMPv6 included) in decimal. */
export function putPort(b: Buffer, v: DataView, p: number, icmp: boolean, port: number): number {
  if (!icmp) return putNumber(b, v, p, port);
  const x = port & 0xffff;
  b[p++] = 48;
  b[p++] = 120;
  for (let shift = 12; shift >= 0; shift -= 4) b[p++] = HEX.charCodeAt((x >> shift) & 15);
  return p;
}

/** ASCII text as little-endian words, for putAscii (text made once and written many times). */
export interface AsciiText {
  words: Uint32Array;
  length: number;
}

export function asciiText(s: string): AsciiText {
  const words = Uint32Array.from({ length: (s.length + 3) >> 2 }, (_, i) =>
    asciiWord(s.slice(4 * i, 4 * i + 4)),
  );
  return { words, length: s.length };
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
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
