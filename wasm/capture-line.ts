// AssemblyScript: the binetflow line of a record, written straight from its row in the flow table's
// layout (capture-row.ts), byte for byte as src/ingest/capture/write.ts and flows.ts FlowMaker.binetflow
// write it. flows convert at -S 5 writes half a million lines from a 2-hour capture; in JavaScript
// that took as long as reading the packets.
// It takes the common records: IPv4 TCP or UDP, times from 1970 to 9999, whole counters. For any
// other (IPv6, ICMP, ARP, other protocols, a duration whose rounding integers cannot tell) it writes
// nothing and the JavaScript writer takes the record.

import {
  F_BITS,
  F_D,
  F_DPORT,
  F_DTOS,
  F_ICMP,
  F_IPV,
  F_PROTO,
  F_REC_LAST,
  F_REC_START,
  F_S,
  F_SPORT,
  F_STOS,
  K_HI,
  K_LO,
  LATER_RECORD,
  S_BYTES,
  S_FLAGS,
  S_PKTS,
  SRC_IS_LO,
  SYN_START,
  f64At,
  keyWord,
} from "./capture-row";

const COMMA: u8 = 44;
const NEWLINE: u8 = 10;

// Text as little-endian words written with one store each (write.ts has the same tables): "00" to
// "99", "000" to "999", each octet of an address with its dot.
const PAIR: usize = heap.alloc(200);
const TRIPLE: usize = heap.alloc(4000);
const OCTET_DOT: usize = heap.alloc(1024);
const OCTET_LENGTH: usize = heap.alloc(256);
for (let i: u32 = 0; i < 1000; i++) {
  const a = 48 + i / 100;
  const b = 48 + ((i / 10) % 10);
  const c = 48 + (i % 10);
  store<u32>(TRIPLE + (<usize>i << 2), a | (b << 8) | (c << 16));
  if (i < 100) store<u16>(PAIR + (<usize>i << 1), <u16>(b | (c << 8)));
  if (i < 256) {
    const w = i < 10 ? c | (46 << 8) : i < 100 ? b | (c << 8) | (46 << 16) : a | (b << 8) | (c << 16) | (46 << 24);
    store<u32>(OCTET_DOT + (<usize>i << 2), w);
    store<u8>(OCTET_LENGTH + i, i < 10 ? 2 : i < 100 ? 3 : 4);
  }
}

/** "YYYY/MM/DD hh:mm:" of the last minute written (records come in start order). */
const MINUTE_TEXT: usize = heap.alloc(24);
let lastMinute: i64 = -1;

/** Math.round (halves up, as JavaScript rounds). */
@inline
function round(x: f64): f64 {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

@inline
function putPair(p: usize, n: u32): usize {
  store<u16>(p, load<u16>(PAIR + (<usize>n << 1)));
  return p + 2;
}

/** Six digits with leading zeros (0 <= n < 1e6). */
@inline
function putSix(p: usize, n: u32): usize {
  const hi = n / 1000;
  store<u32>(p, load<u32>(TRIPLE + (<usize>hi << 2)));
  store<u32>(p + 3, load<u32>(TRIPLE + (<usize>(n - hi * 1000) << 2)));
  return p + 6;
}

/** Digits of n (32-bit compares; a 64-bit division per digit cost more than the rest of a line). */
@inline
function digits32(n: u32): usize {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** n < 2^32 in decimal, two digits at a time from the end. */
function putU32(p: usize, n: u32): usize {
  const end = p + digits32(n);
  let q = end;
  let x = n;
  while (x >= 100) {
    const h = x / 100;
    q -= 2;
    store<u16>(q, load<u16>(PAIR + (<usize>(x - h * 100) << 1)));
    x = h;
  }
  if (x >= 10) store<u16>(q - 2, load<u16>(PAIR + (<usize>x << 1)));
  else store<u8>(q - 1, <u8>(48 + x));
  return end;
}

/** A whole number in decimal, as String(n) writes it. */
function putWhole(p: usize, n: u64): usize {
  if (n <= 0xffffffff) return putU32(p, <u32>n);
  // above 2^32 (byte counts of huge records): the low nine digits after the rest
  const high = n / 1000000000;
  const low = <u32>(n - high * 1000000000);
  const q = putWhole(p, high);
  const hi = low / 1000000;
  const mid = (low / 1000) % 1000;
  store<u32>(q, load<u32>(TRIPLE + (<usize>hi << 2)));
  store<u32>(q + 3, load<u32>(TRIPLE + (<usize>mid << 2)));
  store<u32>(q + 6, load<u32>(TRIPLE + (<usize>(low % 1000) << 2)));
  return q + 9;
}

/** A counter (a whole number below 2^53): written, or 0 when it is not one. */
@inline
function putCount(p: usize, v: f64): usize {
  if (!(v >= 0 && v < 9007199254740992) || Math.floor(v) != v) return 0;
  return putWhole(p, <u64>v);
}

/** An IPv4 address (first octet highest) in dotted decimal. */
@inline
function putIpv4(p: usize, w: u32): usize {
  for (let shift = 24; shift > 0; shift -= 8) {
    const o = (w >>> shift) & 255;
    store<u32>(p, load<u32>(OCTET_DOT + (<usize>o << 2)));
    p += <usize>load<u8>(OCTET_LENGTH + o);
  }
  const o = w & 255;
  store<u32>(p, load<u32>(OCTET_DOT + (<usize>o << 2)));
  return p + <usize>load<u8>(OCTET_LENGTH + o) - 1;
}

/** ASCII of up to 8 characters (in a word, first character lowest) and its length. */
@inline
function putWord(p: usize, w: u64, length: usize): usize {
  store<u64>(p, w);
  return p + length;
}

/** TCP flags as Argus letters in its order (FIN SYN RST PSH ACK URG ECE CWR). */
function putFlags(p: usize, flags: u32): usize {
  // "FSRPAUEC"
  const letters: u64 = 0x4345554150525346;
  for (let i: u32 = 0; i < 8; i++) {
    if (flags & (1 << i)) {
      store<u8>(p, <u8>(letters >> (<u64>i << 3)));
      p++;
    }
  }
  return p;
}

/**
 * "YYYY/MM/DD hh:mm:ss.uuuuuu" (UTC) of a start time, at p; 0 outside 1970-9999. The date of a minute
 * is made once for all its records.
 */
function putTime(p: usize, start: f64): usize {
  const us = round(start * 1e6);
  const sec = Math.floor(us / 1e6);
  if (!(sec >= 0 && sec < 253402300800)) return 0;
  const minute = <i64>Math.floor(sec / 60);
  if (minute != lastMinute) {
    lastMinute = minute;
    // days to the civil date (proleptic Gregorian; Hinnant's algorithm, days >= 0 here)
    const days = minute / 1440;
    const z = days + 719468;
    const era = z / 146097;
    const doe = z - era * 146097;
    const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const mp = (5 * doy + 2) / 153;
    const day = <u32>(doy - (153 * mp + 2) / 5 + 1);
    const month = <u32>(mp < 10 ? mp + 3 : mp - 9);
    const year = <u32>(yoe + era * 400 + (month <= 2 ? 1 : 0));
    const inDay = <u32>(minute - days * 1440);
    let q = putPair(MINUTE_TEXT, year / 100);
    q = putPair(q, year % 100);
    store<u8>(q++, 47);
    q = putPair(q, month);
    store<u8>(q++, 47);
    q = putPair(q, day);
    store<u8>(q++, 32);
    q = putPair(q, inDay / 60);
    store<u8>(q++, 58);
    q = putPair(q, inDay % 60);
    store<u8>(q, 58);
  }
  // 17 bytes: two words and one
  store<u64>(p, load<u64>(MINUTE_TEXT));
  store<u64>(p + 8, load<u64>(MINUTE_TEXT + 8));
  store<u8>(p + 16, load<u8>(MINUTE_TEXT + 16));
  let q = putPair(p + 17, <u32>(sec - <f64>minute * 60));
  store<u8>(q, 46);
  return putSix(q + 1, <u32>(us - sec * 1e6));
}

/** A duration as toFixed(6) writes it; 0 where integer arithmetic cannot tell its rounding (write.ts durationMicros). */
function putDuration(p: usize, seconds: f64): usize {
  const scaled = seconds * 1e6;
  const us = round(scaled);
  if (!(scaled >= 0 && scaled < 9e15) || Math.abs(Math.abs(scaled - us) - 0.5) < 1e-6) return 0;
  const whole = Math.floor(us / 1e6);
  const q = putWhole(p, <u64>whole);
  store<u8>(q, 46);
  return putSix(q + 1, <u32>(us - whole * 1e6));
}

/**
 * Writes the binetflow line (and its newline) of the record whose row is at `row` to `out`; returns
 * its end, or 0 (nothing written that counts) for a record it leaves to the JavaScript writer. There
 * must be room for 512 bytes at `out`.
 */
export function line(row: usize, out: usize): usize {
  const proto = f64At(row, F_PROTO);
  if (f64At(row, F_IPV) != 4 || (proto != 6 && proto != 17) || f64At(row, F_ICMP) >= 0) return 0;
  const tcp = proto == 6;
  const bits = <i32>f64At(row, F_BITS);
  const sp = f64At(row, F_S + S_PKTS);
  const dp = f64At(row, F_D + S_PKTS);
  const start = f64At(row, F_REC_START);
  let p = putTime(out, start);
  if (p == 0) return 0;
  store<u8>(p++, COMMA);
  p = putDuration(p, f64At(row, F_REC_LAST) - start);
  if (p == 0) return 0;
  store<u8>(p++, COMMA);
  // "tcp," / "udp,"
  p = putWord(p, tcp ? 0x2c706374 : 0x2c706475, 4);
  const srcIsLo = (bits & SRC_IS_LO) != 0;
  p = putIpv4(p, keyWord(row, srcIsLo ? K_LO : K_HI));
  store<u8>(p++, COMMA);
  p = putU32(p, <u32>f64At(row, F_SPORT));
  store<u8>(p++, COMMA);
  // the direction, padded to 5 as ra pads it
  const both = sp > 0 && dp > 0;
  let dir: u64;
  if (tcp) dir = bits & SYN_START ? 0x3e2d202020 : both ? 0x3e3f3c2020 : sp > 0 ? 0x3e3f202020 : 0x3f3c202020;
  else dir = both ? 0x3e2d3c2020 : sp > 0 ? 0x3e2d202020 : 0x2d3c202020;
  p = putWord(p, dir | (<u64>COMMA << 40), 6);
  p = putIpv4(p, keyWord(row, srcIsLo ? K_HI : K_LO));
  store<u8>(p++, COMMA);
  p = putU32(p, <u32>f64At(row, F_DPORT));
  store<u8>(p++, COMMA);
  if (tcp) {
    p = putFlags(p, <u32>f64At(row, F_S + S_FLAGS));
    store<u8>(p++, 95);
    p = putFlags(p, <u32>f64At(row, F_D + S_FLAGS));
  } else {
    // CON, REQ (a later record), INT, RSP
    const state: u64 = both ? 0x4e4f43 : sp > 0 ? (bits & LATER_RECORD ? 0x514552 : 0x544e49) : 0x505352;
    p = putWord(p, state, 3);
  }
  store<u8>(p++, COMMA);
  const sTos = f64At(row, F_STOS);
  const dTos = f64At(row, F_DTOS);
  if (sTos >= 0) {
    p = putCount(p, sTos);
    if (p == 0) return 0;
  }
  store<u8>(p++, COMMA);
  if (dTos >= 0) {
    p = putCount(p, dTos);
    if (p == 0) return 0;
  }
  store<u8>(p++, COMMA);
  p = putCount(p, sp + dp);
  if (p == 0) return 0;
  store<u8>(p++, COMMA);
  const srcBytes = f64At(row, F_S + S_BYTES);
  p = putCount(p, srcBytes + f64At(row, F_D + S_BYTES));
  if (p == 0) return 0;
  store<u8>(p++, COMMA);
  p = putCount(p, srcBytes);
  if (p == 0) return 0;
  // an empty label
  store<u16>(p, <u16>COMMA | (<u16>NEWLINE << 8));
  return p + 2;
}
