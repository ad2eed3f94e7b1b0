/**
 * Simulated captures: the flow simulator's CTU-13-style flows (src/simulate/flows.ts) played out as
 * packets and written as a pcap. Every flow becomes its packets on the wire: TCP with the flags of
 * its Argus state (SYN first, FIN/RST last, the rest ACK/PSH), UDP, ICMP echo and port unreachable
 * (with the embedded header), ARP requests and replies; packet counts and sizes as the flow says
 * (packets per flow capped, sizes kept between the header length and 1514). The result lists what was
 * written per flow, the ground truth for readers.
 */
import { PcapWriter } from "../ingest/capture/pcap-writer.ts";
import { simulateFlows } from "./flows.ts";
import { addressBytes, arpFrame, buildFrame, type FrameSpec, headerLength } from "./packets.ts";

export interface CaptureSimOptions {
  seed: number;
  /** Hours of simulated traffic (about 0.8M packets per hour with the defaults), default 1. */
  hours?: number;
  /** Packets per flow at most (long flows are shortened, bytes scaled), default 5000. */
  maxPacketsPerFlow?: number;
}

/** One simulated flow as written. */
export interface WrittenFlow {
  start: number;
  proto: "tcp" | "udp" | "icmp" | "arp";
  src: string;
  dst: string;
  sport: number;
  dport: number;
  srcPkts: number;
  dstPkts: number;
  srcBytes: number;
  dstBytes: number;
}

export interface CaptureSimResult {
  packets: number;
  bytes: number;
  flows: WrittenFlow[];
}

interface Plan {
  flow: WrittenFlow;
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  srcFlags: number;
  dstFlags: number;
  /** Frame length of each side's packets (the last one of a side takes the remainder). */
  srcLen: number;
  dstLen: number;
  srcLast: number;
  dstLast: number;
  dur: number;
  icmpId: number;
  state: string;
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

function flagsOf(letters: string): number {
  let f = 0;
  for (const c of letters) f |= FLAG_BITS[c] ?? 0;
  return f;
}

/** `2026/03/02 08:00:00.101017` as epoch seconds. */
function argusSeconds(t: string): number {
  const ms = Date.parse(`${t.slice(0, 10).replaceAll("/", "-")}T${t.slice(11, 19)}Z`);
  return ms / 1000 + Number(`0${t.slice(19)}`);
}

function portOf(text: string): number {
  return text.startsWith("0x") ? Number.parseInt(text.slice(2), 16) : Number(text) || 0;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Frame lengths for `pkts` packets carrying about `bytes`: [usual, last]. */
function sizes(pkts: number, bytes: number, min: number): [number, number] {
  if (pkts === 0) return [0, 0];
  const each = clamp(Math.floor(bytes / pkts), min, 1514);
  const last = clamp(bytes - each * (pkts - 1), min, 1514);
  return [each, last];
}

function plan(line: string, maxPkts: number): Plan | undefined {
  const c = line.split(",");
  const proto = c[2];
  if (proto !== "tcp" && proto !== "udp" && proto !== "icmp" && proto !== "arp") return undefined;
  const state = c[8];
  let pkts = Number(c[11]);
  let bytes = Number(c[12]);
  let srcBytes = Number(c[13]);
  if (!(pkts > 0)) return undefined;
  if (pkts > maxPkts) {
    bytes = Math.round((bytes * maxPkts) / pkts);
    srcBytes = Math.round((srcBytes * maxPkts) / pkts);
    pkts = maxPkts;
  }
  const us = state.indexOf("_");
  const reply =
    proto === "tcp"
      ? us >= 0 && us < state.length - 1
      : proto === "udp"
        ? state === "CON"
        : proto === "icmp"
          ? state === "ECR"
          : state === "CON";
  let srcPkts = pkts;
  if (reply) srcPkts = pkts < 2 ? 1 : clamp(Math.round((pkts * srcBytes) / Math.max(1, bytes)), 1, pkts - 1);
  let dstPkts = reply ? Math.max(1, pkts - srcPkts) : 0;
  const srcFlags = proto === "tcp" ? flagsOf(us >= 0 ? state.slice(0, us) : state) : 0;
  const dstFlags = proto === "tcp" && us >= 0 ? flagsOf(state.slice(us + 1)) : 0;
  if (proto === "tcp") {
    // enough packets for every letter of the state (a SYN and a FIN cannot share a packet)
    srcPkts = Math.max(srcPkts, neededPackets(srcFlags, false));
    if (reply) dstPkts = Math.max(dstPkts, neededPackets(dstFlags, true));
  }
  const srcAddr = addressBytes(c[3]);
  const dstAddr = addressBytes(c[6]);
  const icmp = proto === "icmp";
  const echo = icmp && (state === "ECO" || state === "ECR");
  const spec: FrameSpec = {
    src: srcAddr,
    dst: dstAddr,
    proto: proto === "tcp" ? 6 : proto === "udp" ? 17 : 1,
  };
  const min = proto === "arp" ? 42 : headerLength(spec) + (icmp && !echo ? 28 : 0);
  const [srcLen, srcLast] = sizes(srcPkts, srcBytes, min);
  const [dstLen, dstLast] = sizes(dstPkts, bytes - srcBytes, min);
  const flow: WrittenFlow = {
    start: argusSeconds(c[0]),
    proto,
    src: c[3],
    dst: c[6],
    sport: portOf(c[4]),
    dport: portOf(c[7]),
    srcPkts,
    dstPkts,
    srcBytes: proto === "arp" ? 42 * srcPkts : srcLen * (srcPkts - 1) + srcLast,
    dstBytes: dstPkts === 0 ? 0 : proto === "arp" ? 42 * dstPkts : dstLen * (dstPkts - 1) + dstLast,
  };
  return {
    flow,
    srcAddr,
    dstAddr,
    srcFlags,
    dstFlags,
    srcLen,
    dstLen,
    srcLast,
    dstLast,
    dur: Number(c[1]) || 0,
    icmpId: echo ? flow.dport : 0,
    state,
  };
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const PSH = 8;
const ACK = 16;
/** PSH ACK URG ECE CWR: letters carried by the packets between the opening and the closing ones. */
const OTHER = 0xf8;

/** Packets a side needs to show its letters: the SYN, the FIN and RST, one for the rest. */
function neededPackets(side: number, answering: boolean): number {
  const syn = side & SYN ? 1 : 0;
  const closing = (side & FIN ? 1 : 0) + (side & RST ? 1 : 0);
  const other = side & OTHER & ~(answering && syn ? ACK : 0) ? 1 : 0;
  return Math.max(1, syn + Math.max(closing, other));
}

/**
 * TCP flags of a side's k-th of n packets (n >= neededPackets): SYN first (SYN+ACK from the answering
 * side), then ACK with PSH on every other packet, FIN then RST last; with no packet in between, the
 * closing packets carry the other letters.
 */
function tcpFlags(side: number, k: number, n: number, answering: boolean): number {
  const syn = side & SYN ? 1 : 0;
  const rst = side & RST ? 1 : 0;
  const fin = side & FIN ? 1 : 0;
  if (k === 0 && syn) return answering && side & ACK ? SYN | ACK : SYN;
  const middle = n - syn - rst - fin;
  const other = side & OTHER;
  if (rst && k === n - 1) return RST | (middle > 0 ? side & ACK : other);
  if (fin && k === n - 1 - rst) return FIN | (middle > 0 ? side & ACK : other);
  let f = side & ACK;
  if (side & PSH && (k - syn) % 2 === 1) f |= PSH;
  if (k === syn) f |= other & ~ACK & ~(middle > 1 ? PSH : 0);
  // no ACK and nothing else to carry: retransmitted SYNs (or repeated resets)
  return f || (syn ? SYN : rst ? RST : ACK);
}

/**
 * Writes `path` from `simulateFlows({ seed, hours })` and returns what it wrote. Packet order is time
 * order (each flow's packets alternate between the sides, spread evenly over its duration).
 */
export function writeSimulatedCapture(path: string, opts: CaptureSimOptions): CaptureSimResult {
  const { lines } = simulateFlows({ seed: opts.seed, hours: opts.hours ?? 1 });
  const maxPkts = opts.maxPacketsPerFlow ?? 5000;
  const plans: Plan[] = [];
  let total = 0;
  for (let i = 1; i < lines.length; i++) {
    const p = plan(lines[i], maxPkts);
    if (!p) continue;
    plans.push(p);
    total += p.flow.srcPkts + p.flow.dstPkts;
  }
  // every packet: time, flow, and its number within the flow (sides alternate)
  const ts = new Float64Array(total);
  const flowOf = new Uint32Array(total);
  const nth = new Uint32Array(total);
  let n = 0;
  plans.forEach((p, fi) => {
    const count = p.flow.srcPkts + p.flow.dstPkts;
    for (let k = 0; k < count; k++) {
      ts[n] = p.flow.start + (count > 1 ? (p.dur * k) / (count - 1) : 0);
      flowOf[n] = fi;
      nth[n] = k;
      n++;
    }
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => ts[a] - ts[b] || a - b);

  const w = new PcapWriter(path);
  const scratch = new Uint8Array(2048);
  const inner = new Uint8Array(28);
  const spec: FrameSpec = { src: scratch, dst: scratch, proto: 0 };
  let bytes = 0;
  for (let i = 0; i < total; i++) {
    const j = order[i];
    const p = plans[flowOf[j]];
    const f = p.flow;
    const k = nth[j];
    // k-th packet of the flow: alternate src, dst while both have packets left, then the rest
    const both = Math.min(f.srcPkts, f.dstPkts);
    const fromSrc = k < 2 * both ? k % 2 === 0 : f.srcPkts > f.dstPkts;
    const idx = k < 2 * both ? k >> 1 : k - both;
    const sidePkts = fromSrc ? f.srcPkts : f.dstPkts;
    const len = idx === sidePkts - 1 ? (fromSrc ? p.srcLast : p.dstLast) : fromSrc ? p.srcLen : p.dstLen;
    let frame: Uint8Array;
    if (f.proto === "arp") {
      frame = fromSrc ? arpFrame(p.srcAddr, p.dstAddr) : arpFrame(p.dstAddr, p.srcAddr, true);
    } else {
      spec.src = fromSrc ? p.srcAddr : p.dstAddr;
      spec.dst = fromSrc ? p.dstAddr : p.srcAddr;
      spec.sport = fromSrc ? f.sport : f.dport;
      spec.dport = fromSrc ? f.dport : f.sport;
      spec.proto = f.proto === "tcp" ? 6 : f.proto === "udp" ? 17 : 1;
      if (f.proto === "tcp")
        spec.tcpFlags = tcpFlags(fromSrc ? p.srcFlags : p.dstFlags, idx, sidePkts, !fromSrc);
      if (f.proto === "icmp") {
        const echo = p.icmpId > 0 || p.state === "ECO" || p.state === "ECR";
        spec.icmpType = echo ? (fromSrc ? 8 : 0) : 3;
        spec.icmpCode = echo ? 0 : 3;
        spec.icmpId = p.icmpId;
      }
      spec.payload = len - headerLength(spec);
      frame = buildFrame(spec, scratch);
      if (f.proto === "icmp" && spec.icmpType === 3) {
        // the datagram that was refused: UDP from the unreachable's destination to its source
        const ih = buildFrame(
          { src: spec.dst, dst: spec.src, proto: 17, sport: 53, dport: 53, link: "raw" },
          inner,
        );
        frame.set(ih, headerLength(spec));
      }
    }
    w.write(ts[j], frame);
    bytes += frame.length;
  }
  w.close();
  return { packets: total, bytes, flows: plans.map((p) => p.flow) };
}
