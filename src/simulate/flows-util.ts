/** Building blocks shared by the flow generators: context, ports, popularity, packet/byte shapes. */
import type { Cidr } from "../core/net.ts";
import { intToIpv4 } from "../core/net.ts";
import type { Rng } from "../core/random.ts";
import type { Dir, FlowRecord, FlowSink } from "./flows-format.ts";
import { DIR } from "./flows-format.ts";

export const US = 1_000_000;

export interface SimContext {
  sink: FlowSink;
  startUs: number;
  endUs: number;
  internal: Cidr;
  resolver: string;
  /** Hosts with a ground-truth role: background traffic never touches them. */
  labelled: Set<string>;
  /** CTU-13 capture version used in labels (V<N>). */
  version: number;
}

/** Bytes/packets/duration of one flow; merged into a FlowRecord by the caller. */
export interface Exchange {
  dur: number;
  pkts: number;
  bytes: number;
  srcBytes: number;
}

export function flow(
  us: number,
  proto: FlowRecord["proto"],
  src: string,
  sport: number | string,
  dir: Dir,
  dst: string,
  dport: number | string,
  state: string,
  x: Exchange,
  label: string,
): FlowRecord {
  return { us, proto, src, sport, dir, dst, dport, state, label, ...x };
}

/** Linux-style ephemeral port. */
export function ephemeralPort(rng: Rng): number {
  return rng.intBetween(32768, 60999);
}

/** Windows XP hands out source ports one after another from 1025 to 5000 (as CTU-13 bots show). */
export class SequentialPorts {
  private current: number;

  constructor(rng: Rng) {
    this.current = rng.intBetween(1025, 1600);
  }

  take(): number {
    const p = this.current;
    this.current = p >= 5000 ? 1025 : p + 1;
    return p;
  }
}

/** Picks with probability proportional to 1 / rank^s: a few popular sites, a long tail. */
export class Zipf<T> {
  private readonly cumulative: number[] = [];

  constructor(
    private readonly items: readonly T[],
    s: number,
  ) {
    let total = 0;
    for (let i = 0; i < items.length; i++) {
      total += 1 / (i + 1) ** s;
      this.cumulative.push(total);
    }
  }

  pick(rng: Rng): T {
    const r = rng.next() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}

/** Office-hours activity in [0.1, 1] by UTC hour: people browse in the day, machines all the time. */
export function daytimeWeight(us: number): number {
  const hour = (us / 3600e6) % 24;
  if (hour < 7 || hour > 19) return 0.1;
  return 0.1 + 0.9 * Math.sin((Math.PI * (hour - 7)) / 12);
}

/** Event times of a Poisson process with `perHour` events at full weight, thinned by `weight`. */
export function poissonTimes(
  rng: Rng,
  startUs: number,
  endUs: number,
  perHour: number,
  weight?: (us: number) => number,
): number[] {
  const out: number[] = [];
  if (perHour <= 0) return out;
  const meanGapUs = 3600e6 / perHour;
  for (let t = startUs + rng.exponential(meanGapUs); t < endUs; t += rng.exponential(meanGapUs)) {
    if (!weight || rng.chance(weight(t))) out.push(Math.round(t));
  }
  return out;
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(x)));
}

/** A TCP connection that carried data both ways. */
export function established(rng: Rng, srcMedian: number, dstMedian: number, durMedian: number): Exchange {
  const srcPayload = clampInt(rng.logNormal(srcMedian, 0.9), 40, 5e7);
  const dstPayload = clampInt(rng.logNormal(dstMedian, 1.4), 40, 5e8);
  const srcPkts = 4 + Math.ceil(srcPayload / 1200);
  const dstPkts = 3 + Math.ceil(dstPayload / 1400);
  const srcBytes = srcPayload + srcPkts * 66;
  return {
    dur: rng.logNormal(durMedian, 1.3),
    pkts: srcPkts + dstPkts,
    bytes: srcBytes + dstPayload + dstPkts * 66,
    srcBytes,
  };
}

/** Handshake and close without payload (FSA_FSA): about six bare packets. */
export function emptyConnection(rng: Rng): Exchange {
  const pkts = rng.intBetween(5, 7);
  const bytes = pkts * rng.intBetween(66, 70);
  return { dur: rng.logNormal(0.05, 1), pkts, bytes, srcBytes: Math.round(bytes * 0.55) };
}

/** Unanswered SYNs: 1 packet, or retries after 3 s and 9 s (the S_ durations CTU-13 shows). */
export function synAttempt(rng: Rng): Exchange {
  const pkts = rng.weighted([1, 2, 3], [0.5, 0.3, 0.2]);
  const size = rng.pick([60, 62, 62, 70]);
  const dur = pkts === 1 ? 0 : (pkts === 2 ? 3 : 9) + rng.uniform(-0.0005, 0.015);
  return { dur, pkts, bytes: pkts * size, srcBytes: pkts * size };
}

/** SYN answered by RST (closed port): S_RA. */
export function resetAttempt(rng: Rng): Exchange {
  const srcBytes = rng.pick([60, 62, 74]);
  return { dur: rng.logNormal(0.02, 1), pkts: 2, bytes: srcBytes + 60, srcBytes };
}

/** A query and its answer over UDP (DNS-sized). */
export function udpExchange(
  rng: Rng,
  srcLo: number,
  srcHi: number,
  replyLo: number,
  replyHi: number,
): Exchange {
  const srcBytes = rng.intBetween(srcLo, srcHi);
  return {
    dur: rng.chance(0.85) ? rng.logNormal(0.0004, 0.6) : rng.uniform(0.02, 0.4),
    pkts: 2,
    bytes: srcBytes + rng.intBetween(replyLo, replyHi),
    srcBytes,
  };
}

export function dnsExchange(rng: Rng): Exchange {
  return udpExchange(rng, 68, 96, 90, 420);
}

const WEB_STATES = [
  "FSPA_FSPA",
  "SRPA_FSPA",
  "FSA_FSA",
  "SRPA_SPA",
  "FSPA_FSRPA",
  "FSRPA_FSPA",
  "SPA_SPA",
  "FSA_SRA",
  "S_RA",
  "S_",
];
const WEB_STATE_WEIGHTS = [50, 10, 9, 8, 6, 5, 4, 2, 3, 3];

/** One browser connection to a web server, with the state mix of CTU-13 client traffic. */
export function webFlow(
  rng: Rng,
  us: number,
  src: string,
  dst: string,
  dport: number,
  label: string,
): FlowRecord {
  const state = rng.weighted(WEB_STATES, WEB_STATE_WEIGHTS);
  const sport = ephemeralPort(rng);
  if (state === "S_") return flow(us, "tcp", src, sport, DIR.out, dst, dport, state, synAttempt(rng), label);
  if (state === "S_RA")
    return flow(us, "tcp", src, sport, DIR.out, dst, dport, state, resetAttempt(rng), label);
  const x = state.startsWith("FSA") ? emptyConnection(rng) : established(rng, 700, 12000, 1.5);
  const dir = rng.chance(0.85) ? DIR.out : DIR.unsure;
  return flow(us, "tcp", src, sport, dir, dst, dport, state, x, label);
}

/** A random address inside the internal network, avoiding network/broadcast-looking ones and `avoid`. */
export function randomInternal(rng: Rng, internal: Cidr, avoid: ReadonlySet<string>): string {
  const size = 2 ** (32 - internal.bits);
  for (let tries = 0; tries < 10000; tries++) {
    const v = (internal.base + rng.int(size)) >>> 0;
    const last = v & 255;
    if (last === 0 || last === 255) continue;
    const ip = intToIpv4(v);
    if (!avoid.has(ip)) return ip;
  }
  throw new RangeError(`internal network ${internal.text} has no free address left`);
}
