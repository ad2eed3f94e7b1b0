/**
 * Bidirectional flow assembly from decoded packets, with Argus-like fields.
 *
 * - Key: protocol, addresses and ports (ICMP echo: addresses and identifier, so requests and replies
 *   meet; other ICMP: addresses, type and code). A packet matching a flow's reverse key belongs to it;
 *   the first packet's sender is the flow's source.
 * - Ports: TCP/UDP ports; ICMP and ICMPv6: source port the type (Argus prints 0x0008 for an echo
 *   request), destination port the echo identifier, or the code for other messages.
 * - Dir: "<->" once the destination sent a packet, else "->".
 * - State: TCP the flags seen from each side, in Argus's letter order F S R P A U E C (FIN, SYN, RST,
 *   PSH, ACK, URG, ECE, CWR), source and destination joined by "_": "S_" (SYN, no answer), "S_RA"
 *   (refused), "FSPA_FSPA" (a full conversation). UDP and other protocols: "CON" when both sides sent,
 *   "INT" when only the source did. ICMP: "ECO" echo without reply, "ECR" echo with reply, "URP"/"URH"/
 *   "URN"/"URF"/"URFIL"/"UR" destination unreachable (port, host, net, fragmentation needed,
 *   administratively filtered, other), "TXD" time exceeded, "RED" redirect, "SRC" source quench, else
 *   the type number.
 * - Bytes and packet sizes are lengths on the wire (link header included), as Argus counts them.
 * - extra: DstBytes, sTtl, dTtl; per direction the inter-packet time in milliseconds (SIntPkt mean,
 *   SIntPktMin, SIntPktMax, and D* for the destination; only with two packets or more from that side)
 *   and packet sizes sMinPktSz, sMaxPktSz, dMinPktSz, dMaxPktSz (destination only when it sent).
 * - Timeouts: a flow idle for longer than `idleTimeout` seconds ends, and the next packet starts a new
 *   flow (with that packet's sender as source); a flow older than `activeTimeout` seconds is cut and
 *   continued as a new flow in the same orientation (Argus would report status records instead).
 * - Order: flows come out in start-time order: ended flows wait until no open flow started earlier.
 */
import type { Flow } from "../flows/record.ts";
import type { Decoded } from "./decode.ts";

export interface FlowTableOptions {
  /** Seconds without a packet after which a flow ends (default 60). */
  idleTimeout?: number;
  /** Seconds after which a long flow is cut (default 3600). */
  activeTimeout?: number;
}

interface Side {
  pkts: number;
  bytes: number;
  flags: number;
  tos: number;
  ttl: number;
  last: number;
  gapSum: number;
  gapMin: number;
  gapMax: number;
  minSz: number;
  maxSz: number;
}

interface OpenFlow {
  key: string;
  reverse: string;
  proto: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** ICMP type and code of the first packet; -1 for other protocols. */
  icmpType: number;
  icmpCode: number;
  start: number;
  last: number;
  s: Side;
  d: Side;
}

function side(): Side {
  return {
    pkts: 0,
    bytes: 0,
    flags: 0,
    tos: 0,
    ttl: 0,
    last: 0,
    gapSum: 0,
    gapMin: 0,
    gapMax: 0,
    minSz: 0,
    maxSz: 0,
  };
}

const PROTO_NAMES: Record<number, string> = {
  1: "icmp",
  2: "igmp",
  6: "tcp",
  17: "udp",
  41: "ipv6",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "ipv6-icmp",
  89: "ospf",
  103: "pim",
  132: "sctp",
};

const FLAG_LETTERS = "FSRPAUEC";

/** TCP flags as Argus letters in Argus's order (FIN SYN RST PSH ACK URG ECE CWR). */
export function tcpFlagLetters(flags: number): string {
  let s = "";
  for (let i = 0; i < 8; i++) if (flags & (1 << i)) s += FLAG_LETTERS[i];
  return s;
}

function icmpState(f: OpenFlow): string {
  const v6 = f.proto === 58;
  const t = f.icmpType;
  const c = f.icmpCode;
  const reply = f.d.pkts > 0;
  if (v6 ? t === 128 || t === 129 : t === 8 || t === 0) return reply || t === (v6 ? 129 : 0) ? "ECR" : "ECO";
  if (!v6 && t === 3) {
    if (c === 3) return "URP";
    if (c === 1) return "URH";
    if (c === 0) return "URN";
    if (c === 4) return "URF";
    if (c === 13) return "URFIL";
    return "UR";
  }
  if (v6 && t === 1) return c === 4 ? "URP" : c === 3 ? "URH" : "UR";
  if (v6 ? t === 3 : t === 11) return "TXD";
  if (v6 ? t === 137 : t === 5) return "RED";
  if (!v6 && t === 4) return "SRC";
  return String(t);
}

function keyOf(d: Decoded, reverse: boolean): string {
  const [a, b, ap, bp] = reverse ? [d.dst, d.src, d.dport, d.sport] : [d.src, d.dst, d.sport, d.dport];
  switch (d.proto) {
    case 6:
    case 17:
      return `${d.proto}|${a}|${ap}|${b}|${bp}`;
    case 1:
    case 58:
      return d.icmpId >= 0
        ? `${d.proto}|${a}|${b}|e${d.icmpId}`
        : `${d.proto}|${a}|${b}|${d.sport}/${d.dport}`;
    default:
      return `${d.proto}|${a}|${b}`;
  }
}

/** A min-heap of flows by start time. */
class StartHeap {
  private readonly a: Flow[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Flow | undefined {
    return this.a[0];
  }
  push(f: Flow): void {
    const a = this.a;
    a.push(f);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].start <= f.start) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = f;
  }
  pop(): Flow | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && a[r].start < a[l].start ? r : l;
      if (a[c].start >= last.start) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = last;
    return top;
  }
}

export class FlowTable {
  private readonly open = new Map<string, OpenFlow>();
  private readonly ended = new StartHeap();
  private readonly idle: number;
  private readonly active: number;
  private readonly sweepEvery: number;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private now = Number.NEGATIVE_INFINITY;
  /** Flows handed to the consumer. */
  flows = 0;

  constructor(
    private readonly onFlow: (f: Flow) => void,
    opts: FlowTableOptions = {},
  ) {
    this.idle = opts.idleTimeout ?? 60;
    this.active = opts.activeTimeout ?? 3600;
    this.sweepEvery = Math.max(0.001, Math.min(this.idle, this.active) / 10);
  }

  /** Number of flows still open. */
  get openFlows(): number {
    return this.open.size;
  }

  /** Adds one decoded packet of `wireLen` bytes seen at `ts`. */
  add(ts: number, d: Decoded, wireLen: number): void {
    if (ts > this.now) this.now = ts;
    if (this.now >= this.nextSweep) {
      this.sweep();
      this.nextSweep = this.now + this.sweepEvery;
    }
    const key = keyOf(d, false);
    let f = this.open.get(key);
    let fromSrc = true;
    if (!f) {
      const rev = keyOf(d, true);
      f = this.open.get(rev);
      fromSrc = false;
      if (f && rev === key) fromSrc = d.src === f.src && d.sport === f.sport;
    }
    if (f && ts - f.last > this.idle) {
      this.close(f);
      f = undefined;
      fromSrc = true;
    } else if (f && ts - f.start >= this.active) {
      this.close(f);
      f = this.start(f.key, f.reverse, f.proto, f.src, f.dst, f.sport, f.dport, ts, f.icmpType, f.icmpCode);
    }
    if (!f) {
      fromSrc = true;
      const t = d.proto === 1 || d.proto === 58 ? d.sport : -1;
      const c = d.proto === 1 || d.proto === 58 ? d.dport : -1;
      const dport = t >= 0 ? (d.icmpId >= 0 ? d.icmpId : d.dport) : d.dport;
      const sport = d.proto === 6 || d.proto === 17 || t >= 0 ? d.sport : 0;
      f = this.start(
        key,
        keyOf(d, true),
        d.proto,
        d.src,
        d.dst,
        sport,
        d.proto === 6 || d.proto === 17 || t >= 0 ? dport : 0,
        ts,
        t,
        c,
      );
    }
    const s = fromSrc ? f.s : f.d;
    if (s.pkts === 0) {
      s.tos = d.tos;
      s.ttl = d.ttl;
      s.minSz = wireLen;
      s.maxSz = wireLen;
    } else {
      const gap = Math.max(0, ts - s.last);
      s.gapSum += gap;
      if (s.pkts === 1 || gap < s.gapMin) s.gapMin = gap;
      if (gap > s.gapMax) s.gapMax = gap;
      if (wireLen < s.minSz) s.minSz = wireLen;
      if (wireLen > s.maxSz) s.maxSz = wireLen;
    }
    s.pkts++;
    s.bytes += wireLen;
    s.flags |= d.tcpFlags;
    s.last = ts;
    if (ts > f.last) f.last = ts;
  }

  /** Ends every flow and hands out all that are left, in start-time order. */
  finish(): void {
    for (const f of this.open.values()) this.ended.push(this.toFlow(f));
    this.open.clear();
    while (this.ended.size) this.emit();
  }

  private start(
    key: string,
    reverse: string,
    proto: number,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    ts: number,
    icmpType: number,
    icmpCode: number,
  ): OpenFlow {
    const f: OpenFlow = {
      key,
      reverse,
      proto,
      src,
      dst,
      sport,
      dport,
      icmpType,
      icmpCode,
      start: ts,
      last: ts,
      s: side(),
      d: side(),
    };
    this.open.set(key, f);
    return f;
  }

  private close(f: OpenFlow): void {
    this.open.delete(f.key);
    this.ended.push(this.toFlow(f));
  }

  private emit(): void {
    const f = this.ended.pop();
    if (!f) return;
    this.flows++;
    this.onFlow(f);
  }

  /** Ends idle and over-long flows; hands out ended flows no open flow precedes. */
  private sweep(): void {
    let watermark = this.now;
    for (const f of this.open.values()) {
      if (this.now - f.last > this.idle || this.now - f.start >= this.active) this.close(f);
      else if (f.start < watermark) watermark = f.start;
    }
    for (let top = this.ended.peek(); top && top.start <= watermark; top = this.ended.peek()) this.emit();
  }

  private toFlow(f: OpenFlow): Flow {
    const both = f.d.pkts > 0;
    const tcp = f.proto === 6;
    const state = tcp
      ? `${tcpFlagLetters(f.s.flags)}_${tcpFlagLetters(f.d.flags)}`
      : f.icmpType >= 0
        ? icmpState(f)
        : both
          ? "CON"
          : "INT";
    const ports = f.proto === 6 || f.proto === 17 || f.icmpType >= 0;
    const extra: Record<string, number> = { DstBytes: f.d.bytes, sTtl: f.s.ttl };
    if (both) extra.dTtl = f.d.ttl;
    sideExtra(extra, "S", "s", f.s);
    sideExtra(extra, "D", "d", f.d);
    return {
      start: f.start,
      duration: f.last - f.start,
      proto: PROTO_NAMES[f.proto] ?? String(f.proto),
      srcAddr: f.src,
      srcPort: ports ? f.sport : null,
      dir: both ? "<->" : "->",
      dstAddr: f.dst,
      dstPort: ports ? f.dport : null,
      state,
      sTos: f.s.tos,
      dTos: both ? f.d.tos : null,
      totPkts: f.s.pkts + f.d.pkts,
      totBytes: f.s.bytes + f.d.bytes,
      srcBytes: f.s.bytes,
      srcPkts: f.s.pkts,
      dstPkts: f.d.pkts,
      label: null,
      extra,
    };
  }
}

function sideExtra(extra: Record<string, number>, up: string, low: string, s: Side): void {
  if (s.pkts === 0) return;
  extra[`${low}MinPktSz`] = s.minSz;
  extra[`${low}MaxPktSz`] = s.maxSz;
  if (s.pkts < 2) return;
  extra[`${up}IntPkt`] = (s.gapSum / (s.pkts - 1)) * 1000;
  extra[`${up}IntPktMin`] = s.gapMin * 1000;
  extra[`${up}IntPktMax`] = s.gapMax * 1000;
}
