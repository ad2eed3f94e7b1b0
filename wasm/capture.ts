// AssemblyScript: the per-packet kernel of capture reading (compiled to dist/capture.wasm by
// `npm run build:wasm`, loaded by src/ingest/capture/kernel.ts).
//
// It walks classic pcap records (Ethernet link) in a chunk of this module's memory and adds the packets
// straight into the flow table's rows, which live in the same memory (src/ingest/capture/flows.ts keeps
// them there when a kernel is given; capture-row.ts has the layout). It takes the common case: an IPv4
// TCP or UDP packet (DNS with its transaction id), not a fragment, whose whole header was captured. Of
// a flow the table holds and that is not idle past its timeout, it runs the TCP state machine
// (tcp-state.ts) and, when the packet starts the flow's next record, ends the open one (its row is
// copied out with the table's watermark; the table hands it out or keeps it waiting, in order) and
// opens the next at the end of the record list. Of a flow the table does not hold, it makes the flow
// (a free row, the hash table, the activity list) when the flow and its record come last in their
// lists. For anything else (no free row, a new connection on the same ports, a bare SYN, a flow Argus
// forgot, a record that does not start last, ICMP, ARP, IPv6, VLAN tags, a damaged or cut record, a
// second of capture time at which the table looks for idle flows) it stops at that record and the
// JavaScript reader and flow table take it the full way. So it never decides anything the table would
// decide differently.
import {
  F_BITS,
  F_D,
  F_DTOS,
  F_DTTL,
  F_DPORT,
  F_HASH,
  F_KEY,
  F_ICMP,
  F_IPV,
  F_LAST,
  F_LISTED,
  F_PROTO,
  F_REC_LAST,
  F_REC_START,
  F_S,
  F_SIDES_END,
  F_SPORT,
  F_STOS,
  F_STTL,
  K_DETAIL,
  K_HI,
  K_LO,
  K_META,
  K_PORTS,
  LATER_RECORD,
  REC_OPEN,
  ROW,
  S_BYTES,
  S_FLAGS,
  S_GAP_MAX,
  S_GAP_MIN,
  S_GAP_SUM,
  S_LAST,
  S_MAX_SZ,
  S_MIN_SZ,
  S_PKTS,
  SRC_IS_LO,
  SYN_START,
  f64At,
  keyWord,
  setF64,
} from "./capture-row";

export { line } from "./capture-line";

/** flows.ts REORDER_SLACK. */
const REORDER_SLACK: f64 = 1;
// the record list: links (i32, stride 4, record links at 2 and 3) and heads (i32: act head, act tail, rec head, rec tail)
const L_ACT_PREV: usize = 0;
const L_ACT_NEXT: usize = 4;
const L_REC_PREV: usize = 8;
const L_REC_NEXT: usize = 12;
const H_REC_HEAD: usize = 8;
const H_REC_TAIL: usize = 12;
const H_ACT_HEAD: usize = 0;
const H_ACT_TAIL: usize = 4;
// counts beside the heads (flows.ts H_FREE, H_USED, H_LIVE): free rows on the stack, rows used, flows
const H_FREE: usize = 16;
const H_USED: usize = 20;
const H_LIVE: usize = 24;
// TCP state per flow (Float64Array, stride 6: state, bits, source seq and ack, destination seq and ack)
const T_STRIDE: i32 = 6;
const LISTEN: i32 = 1;
const SYN_SENT: i32 = 2;
const SYN_RECEIVED: i32 = 3;
const ESTABLISHED: i32 = 4;
const FIN_WAIT_1: i32 = 5;
const FIN_WAIT_2: i32 = 6;
const CLOSING: i32 = 7;
const FIN: u32 = 1;
const SYN: u32 = 2;
const RST: u32 = 4;
const PSH: u32 = 8;
const ACK: u32 = 16;
const URG: u32 = 32;

/** pcap's largest plausible original length (packets.ts: MAX_CAPLEN * 4). */
const MAX_ORIG: u32 = 262144 * 16;
const WEEK: f64 = 86400 * 7;
/** How far ahead of the record being walked the chunk is read (as packets.ts does). */
const PREFETCH_BYTES: usize = 16384;

let rows: usize = 0;
let slots: usize = 0;
let mask: u32 = 0;
let tcp: usize = 0;
let links: usize = 0;
let free: usize = 0;
let inTable: usize = 0;
let heads: usize = 0;
let idle: f64 = 0;
let interval: f64 = 0;
let argus: bool = false;
let closedRows: usize = 0;
let closedWatermarks: usize = 0;
let closedCapacity: i32 = 0;
let closedCount: i32 = 0;

let handledCount: i32 = 0;
let lastTime: f64 = 0;
let nowTime: f64 = 0;
let touched: i32 = 0;
/** Read ahead up to here (kept between scans: the reader calls again after each record it takes). */
let ahead: usize = 0;

export function alloc(bytes: i32): usize {
  return heap.alloc(<usize>bytes);
}

/**
 * Where the table's arrays are (after every growth), its timeouts and model, and where records rolled
 * over go (copies of their rows, and the table's watermark at the end of each).
 */
export function configure(
  rowsPtr: usize,
  slotsPtr: usize,
  slotMask: u32,
  tcpPtr: usize,
  linksPtr: usize,
  freePtr: usize,
  inTablePtr: usize,
  headsPtr: usize,
  idleSeconds: f64,
  intervalSeconds: f64,
  argusModel: i32,
  closedRowsPtr: usize,
  closedWatermarksPtr: usize,
  capacity: i32,
): void {
  rows = rowsPtr;
  slots = slotsPtr;
  mask = slotMask;
  tcp = tcpPtr;
  links = linksPtr;
  free = freePtr;
  inTable = inTablePtr;
  heads = headsPtr;
  idle = idleSeconds;
  interval = intervalSeconds;
  argus = argusModel != 0;
  closedRows = closedRowsPtr;
  closedWatermarks = closedWatermarksPtr;
  closedCapacity = capacity;
}

/** Records the last scan rolled over. */
export function closed(): i32 {
  return closedCount;
}

/** Records the last scan added. */
export function handled(): i32 {
  return handledCount;
}

/** Time of the last record the last scan added (the reader's last time when none). */
export function lastTs(): f64 {
  return lastTime;
}

/** The table's clock after the last scan. */
export function now(): f64 {
  return nowTime;
}

/** Bytes read ahead (kept so the reads are not optimised away). */
export function touch(): i32 {
  return touched;
}

@inline
function be16(a: usize): u32 {
  return <u32>bswap<u16>(load<u16>(a));
}

@inline
function be32(a: usize): u32 {
  return bswap<u32>(load<u32>(a));
}

@inline
function rowAt(f: i32): usize {
  return rows + <usize>(f * ROW) * 8;
}

@inline
function link(f: i32, field: usize): i32 {
  return load<i32>(links + (<usize>f << 4) + field);
}

@inline
function setLink(f: i32, field: usize, v: i32): void {
  store<i32>(links + (<usize>f << 4) + field, v);
}

/**
 * flows.ts closeRecord for flow f (row r), the clock at `clock`: the ended record's row is copied out
 * with the watermark at its end (the table hands it out or keeps it waiting).
 */
@inline
function closeRecord(f: i32, r: usize, clock: f64): void {
  const prev = link(f, L_REC_PREV);
  const next = link(f, L_REC_NEXT);
  if (prev >= 0) setLink(prev, L_REC_NEXT, next);
  else store<i32>(heads + H_REC_HEAD, next);
  if (next >= 0) setLink(next, L_REC_PREV, prev);
  else store<i32>(heads + H_REC_TAIL, prev);
  const head = load<i32>(heads + H_REC_HEAD);
  const open = head >= 0 ? f64At(rowAt(head), F_REC_START) : Infinity;
  const k = <usize>closedCount;
  closedCount++;
  memory.copy(closedRows + k * <usize>ROW * 8, r, <usize>ROW * 8);
  store<f64>(closedWatermarks + (k << 3), Math.min(open, clock - REORDER_SLACK));
  setF64(r, F_BITS, <f64>((<i32>f64At(r, F_BITS) & ~REC_OPEN) | LATER_RECORD));
}

/** flows.ts openRecord for flow f (row r) at ts, at the end of the record list (the caller made sure it belongs there). */
@inline
function openRecord(f: i32, r: usize, ts: f64): void {
  setF64(r, F_BITS, <f64>(<i32>f64At(r, F_BITS) | REC_OPEN));
  setF64(r, F_REC_START, ts);
  setF64(r, F_REC_LAST, ts);
  memory.fill(r + (<usize>F_S << 3), 0, <usize>(F_SIDES_END - F_S) << 3);
  const tail = load<i32>(heads + H_REC_TAIL);
  setLink(f, L_REC_PREV, tail);
  setLink(f, L_REC_NEXT, -1);
  if (tail >= 0) setLink(tail, L_REC_NEXT, f);
  else store<i32>(heads + H_REC_HEAD, f);
  store<i32>(heads + H_REC_TAIL, f);
}

/** flows.ts hashKey for an IPv4 key. */
@inline
function hashKey(meta: u32, lo: u32, hi: u32, ports: u32, detail: u32): u32 {
  let h = (meta ^ 0x9e3779b9) * 0x85ebca6b;
  h = (h ^ (h >>> 15) ^ lo) * 0xcc9e2d51;
  h = (h ^ (h >>> 13) ^ hi) * 0x1b873593;
  h = (h ^ (h >>> 15) ^ ports) * 0xcc9e2d51;
  h = (h ^ (h >>> 13) ^ detail) * 0x85ebca6b;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h & 0x7fffffff;
}

/**
 * tcp-state.ts packet() for the connection state at `a`, a packet from the source (fromSrc) or the
 * destination: false, with nothing changed, when the packet opens a new connection (the table ends the
 * flow) or is a bare SYN (the table's own model may start a new flow there); else the state is updated.
 */
@inline
function tcpPacket(a: usize, fromSrc: bool, flags: u32, seq: u32, ack: u32, len: u32): bool {
  const state = <i32>load<f64>(a);
  const synOnly = (flags & SYN) != 0 && (flags & ACK) == 0;
  if (synOnly) return false;
  if (state == LISTEN) return (flags & SYN) == 0;
  const seqS = a + (fromSrc ? 16 : 32);
  const seqO = a + (fromSrc ? 32 : 16);
  const known: i32 = fromSrc ? 4 : 8;
  const finSeen: i32 = fromSrc ? 1 : 2;
  const finOther: i32 = fromSrc ? 2 : 1;
  let bits = <i32>load<f64>(a, 8);
  let mySeq = load<f64>(seqS);
  let myAck = load<f64>(seqS, 8);
  // sequence numbers (not a bare SYN here)
  const endSeq = seq + len;
  if (!(bits & known)) {
    mySeq = <f64>endSeq;
    bits |= known;
  } else if (len > 0 && <i32>(endSeq - <u32>mySeq) > 0) mySeq = <f64>endSeq;
  if (flags & ACK && ack != 0) myAck = <f64>(ack - 1);
  let next = state;
  if (flags & RST) {
    // a refusal acknowledging the SYN keeps SYN_SENT (a retried SYN joins the flow)
    next = state == SYN_SENT && load<f64>(seqO) == myAck ? LISTEN : CLOSING;
  } else if (state == SYN_SENT) {
    if (flags == (SYN | ACK)) next = SYN_RECEIVED;
    else if (flags & SYN) {
    } else if (flags & FIN) {
      next = FIN_WAIT_1;
      bits |= finSeen;
    } else if (flags & ACK) next = ESTABLISHED;
  } else if (state == SYN_RECEIVED) {
    if (flags & FIN) {
      next = FIN_WAIT_1;
      bits |= finSeen;
    } else if (!(flags & SYN) && flags & ACK) next = ESTABLISHED;
  } else if (state == ESTABLISHED) {
    if (flags & FIN) {
      next = FIN_WAIT_1;
      bits |= finSeen;
    }
  } else if (state == FIN_WAIT_1 || state == FIN_WAIT_2) {
    // an ACK without data that acknowledges the other side's FIN: FIN_WAIT_2
    if (flags & FIN && flags & ACK) bits |= finSeen;
    if (flags & ACK && len == 0 && bits & finOther && load<f64>(seqO) == myAck) next = FIN_WAIT_2;
  }
  // CLOSING: only a bare SYN changes it
  store<f64>(seqS, mySeq);
  store<f64>(seqS, myAck, 8);
  store<f64>(a, <f64>bits, 8);
  if (next != LISTEN) store<f64>(a, <f64>next);
  return true;
}

/** tcp-state.ts start() for the connection state at `a`: the flow's first packet, from side `side`. */
@inline
function tcpStart(a: usize, side: i32, flags: u32, seq: u32, ack: u32, len: u32): void {
  memory.fill(a, 0, <usize>T_STRIDE << 3);
  // this side's sequence number, the other side's acknowledgement
  const mySeq = a + (side == 0 ? 16 : 32);
  const otherAck = a + (side == 0 ? 40 : 24);
  let state: i32;
  if (flags & RST) {
    state = LISTEN;
    store<f64>(mySeq, <f64>(seq != 0 ? seq + len : ack - 1));
  } else {
    const m = flags & (SYN | ACK | FIN | PSH | URG);
    if (m == SYN || m == (SYN | ACK)) {
      state = m == SYN ? SYN_SENT : SYN_RECEIVED;
      store<f64>(mySeq, <f64>seq);
    } else {
      // ACK, PSH and URG in any mix: established; FIN, FIN+ACK: closing; anything else: CLOSING
      if (m != 0 && (m & (SYN | FIN)) == 0) state = ESTABLISHED;
      else if (m == FIN || m == (FIN | ACK)) state = FIN_WAIT_1;
      else state = CLOSING;
      store<f64>(mySeq, <f64>(seq + len));
    }
  }
  if (flags & ACK && ack != 0) store<f64>(otherAck, <f64>(ack - 1));
  store<f64>(a, <f64>state);
  store<f64>(a, <f64>(side == 0 ? 4 : 8), 8);
}

/**
 * flows.ts newFlow for an IPv4 TCP or UDP packet: takes the top free row for the key, puts it in the
 * hash table at `slot` (where the key's probe ended) and at the end of the activity list; returns the
 * row's address. The caller made sure a row is free and the flow is listed last.
 */
@inline
function newFlow(slot: u32, h: f64, meta: u32, lo: u32, hi: u32, ports: u32, detail: u32, senderIsLo: bool, proto: u32, flags: u32, seq: u32, ack: u32, len: u32, sport: u32, dport: u32, ts: f64): i32 {
  const top = load<i32>(heads + H_FREE) - 1;
  store<i32>(heads + H_FREE, top);
  const f = load<i32>(free + (<usize>top << 2));
  if (f >= load<i32>(heads + H_USED)) store<i32>(heads + H_USED, f + 1);
  store<u8>(inTable + <usize>f, 1);
  store<i32>(heads + H_LIVE, load<i32>(heads + H_LIVE) + 1);
  const r = rowAt(f);
  memory.fill(r, 0, <usize>ROW << 3);
  const key = r + (<usize>F_KEY << 3);
  store<u32>(key, meta);
  store<u32>(key, lo, 4);
  store<u32>(key, hi, 20);
  store<u32>(key, ports, 36);
  store<u32>(key, detail, 40);
  store<i32>(slots + (<usize>slot << 2), f);
  setF64(r, F_HASH, h);
  setF64(r, F_PROTO, <f64>proto);
  setF64(r, F_IPV, 4);
  // a SYN+ACK makes its receiver the source
  const answer = proto == 6 && (flags & 0x3f) == 0x12;
  let bits = senderIsLo != answer ? SRC_IS_LO : 0;
  if (proto == 6) {
    const opening = flags & 0x3f;
    if (opening == 2 || opening == 0x12) bits |= SYN_START;
    tcpStart(tcp + <usize>(f * T_STRIDE) * 8, answer ? 1 : 0, flags, seq, ack, len);
  }
  setF64(r, F_BITS, <f64>bits);
  setF64(r, F_STOS, -1);
  setF64(r, F_DTOS, -1);
  setF64(r, F_STTL, -1);
  setF64(r, F_DTTL, -1);
  setF64(r, F_LAST, ts);
  setF64(r, F_ICMP, -1);
  setF64(r, F_SPORT, <f64>(answer ? dport : sport));
  setF64(r, F_DPORT, <f64>(answer ? sport : dport));
  // linkActivity at the tail
  setF64(r, F_LISTED, ts);
  const tail = load<i32>(heads + H_ACT_TAIL);
  setLink(f, L_ACT_PREV, tail);
  setLink(f, L_ACT_NEXT, -1);
  if (tail >= 0) setLink(tail, L_ACT_NEXT, f);
  else store<i32>(heads + H_ACT_HEAD, f);
  store<i32>(heads + H_ACT_TAIL, f);
  return f;
}

/**
 * Adds records from byte `p` up to `end` while they are of the plain case; returns the offset of the
 * first record it left (or where the chunk's whole records end). `last` is the reader's last record
 * time (never NaN here), `clock` the table's, `nextExpire` when the table next looks for idle flows;
 * `units` (per second) and `snap` are the capture's.
 */
export function scan(p: usize, end: usize, last: f64, clock: f64, nextExpire: f64, units: f64, snap: u32): usize {
  let n: i32 = 0;
  closedCount = 0;
  let walk = ahead;
  if (walk < p || walk > p + PREFETCH_BYTES) walk = p;
  let t: i32 = touched;
  while (p + 16 <= end) {
    const stop = p + PREFETCH_BYTES < end ? p + PREFETCH_BYTES : end;
    // the chain of record headers walked ahead, touching each header and the line after it (the
    // packet's headers): reading every line ahead streamed the whole file through the cache
    while (walk < stop) {
      if (walk + 128 > end) {
        walk = end;
        break;
      }
      t ^= <i32>load<u8>(walk + 64);
      const c = load<u32>(walk, 8);
      walk = c <= MAX_ORIG ? walk + 16 + <usize>c : end;
    }
    const frac = load<u32>(p, 4);
    const cap = load<u32>(p, 8);
    const orig = load<u32>(p, 12);
    const ts = <f64>load<u32>(p) + <f64>frac / units;
    if (!(cap <= snap && cap <= orig && orig <= MAX_ORIG && <f64>frac < units && Math.abs(ts - last) < WEEK)) break;
    const pkt = p + 16;
    if (pkt + <usize>cap > end) break;
    // the table looks for idle flows first
    if (ts >= nextExpire) break;
    // Ethernet, IPv4, no tags
    if (cap < 34 || be16(pkt + 12) != 0x0800) break;
    const ip = pkt + 14;
    const v = <u32>load<u8>(ip);
    const ihl = (v & 15) << 2;
    if (v >> 4 != 4 || ihl < 20) break;
    if ((be16(ip + 6) & 0x3fff) != 0) break;
    const l4 = ip + <usize>ihl;
    const proto = <u32>load<u8>(ip, 9);
    let flags: u32 = 0;
    let seq: u32 = 0;
    let ack: u32 = 0;
    let len: u32 = 0;
    if (proto == 6) {
      if (<usize>cap < l4 - pkt + 14) break;
      flags = <u32>load<u8>(l4, 13);
      seq = be32(l4 + 4);
      ack = be32(l4 + 8);
      const total = be16(ip + 2);
      const ipEnd: isize = total >= ihl ? <isize>ip + <isize>total : <isize>(pkt + <usize>cap);
      const payload = ipEnd - <isize>l4 - <isize>((<u32>load<u8>(l4, 12) >> 4) << 2);
      len = payload > 0 ? <u32>payload : 0;
    } else if (proto == 17) {
      if (<usize>cap < l4 - pkt + 4) break;
    } else break;
    const sport = be16(l4);
    const dport = be16(l4 + 2);
    // DNS: the transaction id is part of the key (decode.ts dnsId)
    let detail: u32 = 0;
    if (proto == 17 && (sport == 53 || dport == 53) && <usize>cap >= l4 - pkt + 10) detail = 0x10000 | be16(l4 + 8);
    // the canonical key (flows.ts makeKey)
    const s0 = be32(ip + 12);
    const t0 = be32(ip + 16);
    if (s0 == t0) break;
    const senderIsLo = s0 < t0;
    const lo = senderIsLo ? s0 : t0;
    const hi = senderIsLo ? t0 : s0;
    const ports = senderIsLo ? (sport << 16) | dport : (dport << 16) | sport;
    const meta = proto | (4 << 12);
    const hash = hashKey(meta, lo, hi, ports, detail);
    const h = <f64>hash;
    // find (flows.ts find)
    let r: usize = 0;
    let f: i32 = -1;
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const g = load<i32>(slots + (<usize>i << 2));
      if (g < 0) break;
      const row = rows + <usize>(g * ROW) * 8;
      if (f64At(row, F_HASH) != h) continue;
      if (keyWord(row, K_LO) != lo || keyWord(row, K_HI) != hi || keyWord(row, K_PORTS) != ports) continue;
      if (keyWord(row, K_META) != meta || keyWord(row, K_DETAIL) != detail) continue;
      f = g;
      r = row;
      break;
    }
    let created = false;
    if (f < 0) {
      // a new flow: the table grows its arrays itself; the flow and its record must come last in
      // their lists (the table inserts them in time order)
      if (load<i32>(heads + H_FREE) == 0) break;
      const actTail = load<i32>(heads + H_ACT_TAIL);
      if (actTail >= 0 && f64At(rowAt(actTail), F_LISTED) > ts) break;
      const recTail = load<i32>(heads + H_REC_TAIL);
      if (recTail >= 0 && f64At(rowAt(recTail), F_REC_START) > ts) break;
      f = newFlow(i, h, meta, lo, hi, ports, detail, senderIsLo, proto, flags, seq, ack, len, sport, dport, ts);
      r = rowAt(f);
      created = true;
    }
    // idle past the timeout, or a record to open or close: the table's own way
    if (ts - f64At(r, F_LAST) > idle) break;
    const bits = <i32>f64At(r, F_BITS);
    // a record at its end (roll), or none open (the table ended it): the flow's next record starts here
    const open = (bits & REC_OPEN) != 0;
    const recStart = f64At(r, F_REC_START);
    const roll = open && ts - recStart >= interval;
    if (roll || !open) {
      if (roll && closedCount >= closedCapacity) break;
      // Argus: forgotten since its record was due to end (flows.ts forgotten): a new flow
      if (argus && !created && Math.floor(ts) - Math.floor(recStart) > interval + (proto == 6 ? 60 : 30)) break;
      // the next record must go at the end of the record list
      const tail = load<i32>(heads + H_REC_TAIL);
      const before = open && tail == f ? link(f, L_REC_PREV) : tail;
      if (before >= 0 && f64At(rowAt(before), F_REC_START) > ts) break;
    }
    const fromSrc = ((bits & SRC_IS_LO) != 0) == senderIsLo;
    if (proto == 6 && !created && !tcpPacket(tcp + <usize>(f * T_STRIDE) * 8, fromSrc, flags, seq, ack, len)) break;
    if (ts > clock) clock = ts;
    if (roll) closeRecord(f, r, clock);
    if (roll || !open) openRecord(f, r, ts);
    // the counters (flows.ts add)
    const tos = <f64>load<u8>(ip, 1);
    const ttl = <f64>load<u8>(ip, 8);
    if (fromSrc) {
      if (f64At(r, F_STOS) < 0) {
        setF64(r, F_STOS, tos);
        setF64(r, F_STTL, ttl);
      }
    } else if (f64At(r, F_DTOS) < 0) {
      setF64(r, F_DTOS, tos);
      setF64(r, F_DTTL, ttl);
    }
    const s = r + (<usize>(fromSrc ? F_S : F_D) << 3);
    const wire = <f64>orig;
    const count = f64At(s, S_PKTS);
    if (count == 0) {
      setF64(s, S_MIN_SZ, wire);
      setF64(s, S_MAX_SZ, wire);
    } else {
      const sLast = f64At(s, S_LAST);
      const gap = ts > sLast ? ts - sLast : 0;
      setF64(s, S_GAP_SUM, f64At(s, S_GAP_SUM) + gap);
      if (count == 1 || gap < f64At(s, S_GAP_MIN)) setF64(s, S_GAP_MIN, gap);
      if (gap > f64At(s, S_GAP_MAX)) setF64(s, S_GAP_MAX, gap);
      if (wire < f64At(s, S_MIN_SZ)) setF64(s, S_MIN_SZ, wire);
      if (wire > f64At(s, S_MAX_SZ)) setF64(s, S_MAX_SZ, wire);
    }
    setF64(s, S_PKTS, count + 1);
    setF64(s, S_BYTES, f64At(s, S_BYTES) + wire);
    setF64(s, S_FLAGS, <f64>(<u32>f64At(s, S_FLAGS) | flags));
    setF64(s, S_LAST, ts);
    if (ts > f64At(r, F_REC_LAST)) setF64(r, F_REC_LAST, ts);
    if (ts > f64At(r, F_LAST)) setF64(r, F_LAST, ts);
    last = ts;
    n++;
    p = pkt + <usize>cap;
  }
  handledCount = n;
  lastTime = last;
  nowTime = clock;
  touched = t;
  ahead = walk;
  return p;
}
