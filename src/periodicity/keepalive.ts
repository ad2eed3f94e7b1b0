/**
 * The improved periodicity detector (botscope's default `--mode keepalive`). It fixes relbot's known
 * weaknesses (spec section 3) and adds a RITA-style beacon score for jittered C&C beacons:
 * - pairs are (src, dst, protocol, service port), so protocols and services are not mixed;
 * - flows of one pair closer than `coalesceMs` are one contact (a keep-alive exchange, a retry);
 * - the period is estimated, not only tested: around each candidate (the configured periods, or with
 *   `periods: "auto"` the densest clusters of inter-arrival times in [minPeriodMs, maxPeriodMs]) the
 *   intervals that are whole multiples of it give the least-squares period, so jitter and a slow drift
 *   (0.5 s per 30 min) do not break the phase;
 * - missing beats count against a period: an interval of m periods leaves m - 1 beats missing, so a
 *   divisor of the true period (10 and 15 min for a 30 min keep-alive) has 1/3 and 1/2 of its beats and
 *   loses to the true period (harmonic suppression); multiples fail because half their intervals do not
 *   fit; a gap of more than `breakBeats` periods (host off, session over) is a pause, not missing beats;
 * - the phase is circular (mean resultant length and a circular histogram: no events lost at the wrap);
 * - the reverse direction of a periodic pair (server -> client flows) is linked to it and flagged;
 * - well-known periodic services (NTP, DNS, DHCP, ...) are set aside by an allowlist.
 * A streaming operator with plain keyed state: push() per flow, advance() forgets idle pairs that can no
 * longer qualify, flush() evaluates. Memory: per pair a row of typed-array columns and its contacts
 * (start, bytes) in chunks of one pool (capped at `maxEventsPerPair`, the most recent kept; chunks of
 * forgotten pairs are reused); no object per flow or per pair.
 */
import type { Flow } from "../ingest/flows/record.ts";
import { AddressNumbers, chunkCapacity, chunkOffset, KeyTable, NOT_V4 } from "./addresses.ts";
import { type AllowedService, allowedService, defaultAllowlist } from "./allowlist.ts";
import { type BeaconScore, beaconScore, medianAbsDeviation, quantileSorted } from "./beacon-score.ts";

export interface KeepAliveOptions {
  /** Periods to look for (ms), or "auto": search [minPeriodMs, maxPeriodMs]. */
  periods: readonly number[] | "auto";
  minPeriodMs: number;
  maxPeriodMs: number;
  /** Relative tolerance of a period (candidate window, interval fit). */
  tolerance: number;
  /** Absolute jitter allowed on an interval, at most a tenth of the period. */
  jitterMs: number;
  /** Contacts a pair needs before it is judged. */
  minBeats: number;
  /** Flows of a pair closer than this to a contact's start belong to that contact. */
  coalesceMs: number;
  /** A gap of more than this many periods is a pause (host off), not missing beats. */
  breakBeats: number;
  /** Contacts kept per pair (the most recent). */
  maxEventsPerPair: number;
  /** Pairs idle for this long with fewer than minBeats contacts are forgotten by advance(). */
  idleEvictMs: number;
  allow: readonly AllowedService[];
  /** Contacts reported from this confidence on. */
  minConfidence: number;
}

export const KEEPALIVE_DEFAULTS: Readonly<KeepAliveOptions> = Object.freeze({
  periods: "auto",
  minPeriodMs: 1000,
  maxPeriodMs: 3 * 3600_000,
  tolerance: 0.02,
  jitterMs: 3000,
  minBeats: 5,
  coalesceMs: 1000,
  breakBeats: 8,
  maxEventsPerPair: 50_000,
  idleEvictMs: 6 * 3600_000,
  allow: defaultAllowlist(),
  minConfidence: 0.5,
});

/** One periodic contact between two hosts: what the detector reports. */
export interface PeriodicContact {
  /** The host that initiates the contact (client side). */
  host: string;
  peer: string;
  /** Lower-case protocol, "" when the input has none (relbot text). */
  proto: string;
  /** Service port (the lower port of the pair's flows); null when the input has no ports. */
  port: number | null;
  /** Which flow directions are periodic: host->peer, peer->host (reverse only), or both. */
  direction: "forward" | "reverse" | "both";
  /** Estimated period (ms) and the candidate it was refined from. */
  periodMs: number;
  candidateMs: number;
  contacts: number;
  flows: number;
  firstMs: number;
  lastMs: number;
  /** Beats missing inside the active span (pauses longer than breakBeats periods excluded). */
  missedBeats: number;
  /** Share of expected beats present, and of intervals that are whole multiples of the period. */
  fill: number;
  fit: number;
  /** Circular phase concentration: mean resultant length (1 = same phase every time). */
  phaseStability: number;
  /** Share of contacts in the densest three of 32 circular phase bins. */
  phasePeakShare: number;
  /** Contacts per circular phase bin (32 bins, centred on each segment's first beat; empty without a fit). */
  phaseHistogram: number[];
  /** Robust jitter (ms) of the beat times. */
  jitterMs: number;
  /** Keep-alive evidence in [0, 1]: fit x fill x support x phase. */
  keepAlive: number;
  /** RITA-style beacon score; null with fewer than 3 contacts. */
  beacon: BeaconScore | null;
  confidence: number;
  /** Which evidence dominates. */
  kind: "keep-alive" | "beacon";
}

export interface PeriodicHost {
  host: string;
  /** Distinct peers with a periodic contact. */
  peers: number;
  contacts: PeriodicContact[];
  /** Peers per period (periods within the tolerance grouped), most peers first. */
  periods: { periodMs: number; peers: number }[];
  /** The period most peers share. */
  periodMs: number;
  /** Mean phase stability of its contacts. */
  phaseStability: number;
  /** 1 - prod(1 - confidence) over its contacts, capped at 0.999. */
  confidence: number;
}

export interface AllowlistedContact {
  service: string;
  host: string;
  peer: string;
  proto: string;
  port: number | null;
  periodMs: number;
  confidence: number;
}

export interface KeepAliveResult {
  hosts: PeriodicHost[];
  /** Every reported contact, most confident first. */
  contacts: PeriodicContact[];
  /** Periodic contacts set aside as allowed services. */
  allowlisted: AllowlistedContact[];
  flows: number;
  pairs: number;
  /** Pairs with enough contacts to be judged. */
  judged: number;
  windowStartMs: number;
  windowEndMs: number;
}

/** The service port of a flow: the lower of its two ports; -1 without ports or for ICMP. */
export function servicePort(f: Flow): number {
  if (f.srcPort === null || f.dstPort === null) return -1;
  if (f.proto === "icmp" || f.proto === "ipv6-icmp") return -1;
  return Math.min(f.srcPort, f.dstPort);
}

/** The fit of one candidate period to a pair's contact times. */
export interface PeriodFit {
  periodMs: number;
  candidateMs: number;
  fit: number;
  fill: number;
  fitted: number;
  missedBeats: number;
  phaseStability: number;
  phasePeakShare: number;
  phaseHistogram: number[];
  jitterMs: number;
  score: number;
}

const PHASE_BINS = 32;

/**
 * Fits a candidate period to sorted contact times: the intervals within the jitter allowance of a whole
 * multiple m (1 <= m <= breakBeats) of the period give the least-squares period sum(d) / sum(m)
 * (three rounds); then fit (share of all intervals that fit), fill (beats present / beats expected,
 * pauses left out), circular phase statistics per active segment and the score. Null when nothing fits.
 */
export function fitPeriod(
  times: ArrayLike<number>,
  n: number,
  candidateMs: number,
  o: Pick<KeepAliveOptions, "tolerance" | "jitterMs" | "breakBeats">,
): PeriodFit | null {
  if (n < 3 || !(candidateMs > 0)) return null;
  const allowance = (p: number, m: number) =>
    Math.min(0.1 * p, Math.max(o.jitterMs, o.tolerance * p)) * Math.sqrt(m);
  let p = candidateMs;
  for (let round = 0; round < 3; round++) {
    let sumD = 0;
    let sumM = 0;
    for (let i = 1; i < n; i++) {
      const d = times[i] - times[i - 1];
      const m = Math.round(d / p);
      if (m < 1 || m > o.breakBeats) continue;
      if (Math.abs(d - m * p) <= allowance(p, m)) {
        sumD += d;
        sumM += m;
      }
    }
    if (sumM === 0) return null;
    p = sumD / sumM;
  }
  let nonBreak = 0;
  let expected = 0;
  let fitted = 0;
  let missed = 0;
  const residuals: number[] = [];
  for (let i = 1; i < n; i++) {
    const d = times[i] - times[i - 1];
    const m = Math.round(d / p);
    if (m > o.breakBeats) continue;
    nonBreak++;
    expected += Math.max(1, m);
    if (m >= 1 && Math.abs(d - m * p) <= allowance(p, m)) {
      fitted++;
      missed += m - 1;
      residuals.push(d - m * p);
    }
  }
  if (fitted === 0) return null;
  // pauses do not count as missing beats (fill), but they are not fitted intervals either (fit): a
  // short period that explains two intervals between long gaps explains little
  const fit = fitted / (n - 1);
  const fill = nonBreak / expected;
  // circular phase per active segment (a pause may shift the phase), weighted by contacts
  let rSum = 0;
  let rWeight = 0;
  const hist = new Float64Array(PHASE_BINS);
  let segStart = 0;
  for (let i = 1; i <= n; i++) {
    const pause = i === n || Math.round((times[i] - times[i - 1]) / p) > o.breakBeats;
    if (!pause) continue;
    const len = i - segStart;
    if (len >= 2) {
      let c = 0;
      let s = 0;
      const t0 = times[segStart];
      for (let j = segStart; j < i; j++) {
        const phase = ((times[j] - t0) / p) % 1;
        const a = 2 * Math.PI * phase;
        c += Math.cos(a);
        s += Math.sin(a);
        // centred on the segment's first beat, so its peak does not straddle the wrap
        hist[Math.floor(((phase + 0.5 / PHASE_BINS) % 1) * PHASE_BINS) % PHASE_BINS]++;
      }
      rSum += Math.hypot(c, s);
      rWeight += len;
    }
    segStart = i;
  }
  const phaseStability = rWeight > 0 ? rSum / rWeight : 0;
  let peak = 0;
  for (let b = 0; b < PHASE_BINS; b++) {
    const around = hist[(b + PHASE_BINS - 1) % PHASE_BINS] + hist[b] + hist[(b + 1) % PHASE_BINS];
    if (around > peak) peak = around;
  }
  const phasePeakShare = rWeight > 0 ? peak / rWeight : 0;
  const r = Float64Array.from(residuals).sort();
  const jitterMs = (1.4826 * medianAbsDeviation(r, r.length)) / Math.SQRT2;
  const support = 1 - Math.exp(-fitted / 4);
  const score = fit * fill * support * (0.8 + 0.2 * phaseStability);
  return {
    periodMs: p,
    candidateMs,
    fit,
    fill,
    fitted,
    missedBeats: missed,
    phaseStability,
    phasePeakShare,
    phaseHistogram: Array.from(hist),
    jitterMs,
    score,
  };
}

/**
 * Candidate periods from the inter-arrival times: up to `max` densest clusters (relative width
 * 2 x tolerance, at least the jitter allowance) inside [minMs, maxMs], each as its median.
 */
export function intervalCandidates(
  times: ArrayLike<number>,
  n: number,
  o: Pick<KeepAliveOptions, "tolerance" | "jitterMs" | "minPeriodMs" | "maxPeriodMs">,
  max = 3,
): number[] {
  const d: number[] = [];
  for (let i = 1; i < n; i++) {
    const x = times[i] - times[i - 1];
    if (x >= o.minPeriodMs * (1 - o.tolerance) && x <= o.maxPeriodMs * (1 + o.tolerance)) d.push(x);
  }
  const sorted = Float64Array.from(d).sort();
  const m = sorted.length;
  const used = new Uint8Array(m);
  // the window of each interval: [lo, hi(lo)] (two pointers, once)
  const hiOf = new Int32Array(m);
  for (let lo = 0, hi = 0; lo < m; lo++) {
    if (hi < lo) hi = lo;
    const width = Math.max(2 * o.tolerance * sorted[lo], Math.min(0.2 * sorted[lo], o.jitterMs));
    while (hi + 1 < m && sorted[hi + 1] - sorted[lo] <= width) hi++;
    hiOf[lo] = hi;
  }
  const free = new Int32Array(m + 1);
  const out: number[] = [];
  while (out.length < max) {
    // prefix counts of intervals not yet in a cluster: each window's count in O(1)
    for (let k = 0; k < m; k++) free[k + 1] = free[k] + (used[k] ? 0 : 1);
    let best = 0;
    let bestLo = -1;
    for (let lo = 0; lo < m; lo++) {
      const count = free[hiOf[lo] + 1] - free[lo];
      if (count > best) {
        best = count;
        bestLo = lo;
      }
    }
    if (best < 2) break;
    const members: number[] = [];
    for (let k = bestLo; k <= hiOf[bestLo]; k++) {
      if (!used[k]) members.push(sorted[k]);
      used[k] = 1;
    }
    out.push(quantileSorted(members, members.length, 0.5));
  }
  return out;
}

/**
 * Combines keep-alive evidence and the beacon score into one confidence. The beacon score counts only
 * as far as the inter-arrival times are regular (its timestamp part from 0.65 up: irregular traffic has
 * 0.5-0.65 there, however well it covers the window), only above 0.5, scaled to at most 0.85 and by
 * the support of its contact count (a handful of contacts prove little), so a beacon without a stable
 * phase is reported with less confidence than a keep-alive.
 */
export function combineConfidence(
  keepAlive: number,
  beacon: BeaconScore | null,
): { confidence: number; kind: "keep-alive" | "beacon"; beaconEvidence: number } {
  let b = 0;
  if (beacon) {
    const gate = Math.max(0, Math.min(1, (beacon.timestamps - 0.65) / 0.2));
    const support = 1 - Math.exp(-(beacon.contacts - 1) / 6);
    b = Math.max(0, Math.min(1, (gate * beacon.score - 0.5) / 0.4)) * 0.85 * support;
  }
  const top = Math.max(keepAlive, b);
  const confidence = top + 0.25 * Math.min(keepAlive, b) * (1 - top);
  return { confidence, kind: keepAlive >= b ? "keep-alive" : "beacon", beaconEvidence: b };
}

/** Per-pair scalar state, one typed array per field, indexed by pair id (grown by doubling). */
class PairColumns {
  cap = 0;
  src = new Float64Array(0);
  dst = new Float64Array(0);
  proto = new Int32Array(0);
  port = new Int32Array(0);
  /** Contacts stored, flows seen. */
  n = new Int32Array(0);
  flows = new Int32Array(0);
  /** Latest flow start, and start of the last stored contact (coalescing without reading the pool). */
  lastMs = new Float64Array(0);
  lastContact = new Float64Array(0);
  inOrder = new Uint8Array(0);
  alive = new Uint8Array(0);
  /** Flows towards the service port, and from it; the client-side port and whether it varies. */
  toward = new Int32Array(0);
  from = new Int32Array(0);
  otherPort = new Int32Array(0);
  varies = new Uint8Array(0);
  /** Last chunk of the pair's contacts in the pool (-1: none). */
  tail = new Int32Array(0);

  ensure(id: number): void {
    if (id < this.cap) return;
    let cap = Math.max(1024, this.cap * 2);
    while (cap <= id) cap *= 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.src = f64(this.src);
    this.dst = f64(this.dst);
    this.proto = i32(this.proto);
    this.port = i32(this.port);
    this.n = i32(this.n);
    this.flows = i32(this.flows);
    this.lastMs = f64(this.lastMs);
    this.lastContact = f64(this.lastContact);
    this.inOrder = u8(this.inOrder);
    this.alive = u8(this.alive);
    this.toward = i32(this.toward);
    this.from = i32(this.from);
    this.otherPort = i32(this.otherPort);
    this.varies = u8(this.varies);
    this.tail = i32(this.tail);
    this.cap = cap;
  }
}

/** Everything flush needs about a judged pair. */
interface Judged {
  id: number;
  first: number;
  contact: PeriodicContact;
}

export class KeepAliveDetector {
  readonly options: KeepAliveOptions;
  private readonly addresses = new AddressNumbers();
  private readonly protoIds = new Map<string, number>();
  private readonly protoNames: string[] = [];
  private readonly keys = new KeyTable();
  private readonly p = new PairColumns();
  /** Contacts of all pairs: chunks of [previous chunk, (start, bytes) x capacity]; freed chunks reused. */
  private pool = new Float64Array(1 << 16);
  private poolUsed = 0;
  private readonly free = new Map<number, number[]>();
  private live = 0;
  private flows = 0;
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.NEGATIVE_INFINITY;
  private readonly coalesce: number;
  private lastSrc = "";
  private lastSrcNum = -1;
  private lastDst = "";
  private lastDstNum = -1;

  constructor(options: Partial<KeepAliveOptions> = {}) {
    this.options = { ...KEEPALIVE_DEFAULTS, ...options };
    const o = this.options;
    const smallest = o.periods === "auto" ? o.minPeriodMs : Math.min(...o.periods);
    this.coalesce = Math.max(0, Math.min(o.coalesceMs, smallest / 4));
  }

  /** One flow (start in seconds, as every reader gives it). */
  push(f: Flow): void {
    this.pushContact(f.start * 1000, f.srcAddr, f.dstAddr, f.proto, servicePort(f), f.srcBytes, f);
  }

  private protoId(proto: string): number {
    let id = this.protoIds.get(proto);
    if (id === undefined) {
      id = this.protoNames.length;
      this.protoIds.set(proto, id);
      this.protoNames.push(proto);
    }
    return id;
  }

  /** The key-table id of a pair of address numbers, protocol and port. */
  private keyOf(s: number, d: number, proto: number, port: number, create: boolean): number {
    // address numbers are < 2^33: the low 32 bits as keys, the "not IPv4" bits with the protocol
    const a = s >= NOT_V4 ? s - NOT_V4 : s | 0;
    const b = d >= NOT_V4 ? d - NOT_V4 : d | 0;
    const c = proto * 4 + (s >= NOT_V4 ? 1 : 0) + (d >= NOT_V4 ? 2 : 0);
    return create ? this.keys.id(a, b, c, port) : this.keys.find(a, b, c, port);
  }

  /**
   * One flow from its parts: start (ms), addresses, protocol ("" when unknown), service port (-1 when
   * unknown), source bytes (0 when unknown); `f` (optional) gives the ports for orienting the pair.
   */
  pushContact(
    ms: number,
    src: string,
    dst: string,
    proto: string,
    port: number,
    bytes: number,
    f?: Flow,
  ): void {
    this.flows++;
    if (ms < this.windowStart) this.windowStart = ms;
    if (ms > this.windowEnd) this.windowEnd = ms;
    if (src !== this.lastSrc) {
      this.lastSrc = src;
      this.lastSrcNum = this.addresses.of(src);
    }
    if (dst !== this.lastDst) {
      this.lastDst = dst;
      this.lastDstNum = this.addresses.of(dst);
    }
    const pid = this.protoId(proto);
    const id = this.keyOf(this.lastSrcNum, this.lastDstNum, pid, port, true);
    const p = this.p;
    if (id >= p.cap || p.alive[id] === 0) {
      p.ensure(id);
      p.src[id] = this.lastSrcNum;
      p.dst[id] = this.lastDstNum;
      p.proto[id] = pid;
      p.port[id] = port;
      p.n[id] = 0;
      p.flows[id] = 0;
      p.lastMs[id] = ms;
      p.inOrder[id] = 1;
      p.alive[id] = 1;
      p.toward[id] = 0;
      p.from[id] = 0;
      p.otherPort[id] = -1;
      p.varies[id] = 0;
      p.tail[id] = -1;
      this.live++;
    }
    p.flows[id]++;
    if (f && port >= 0) this.orient(id, port, f);
    if (ms > p.lastMs[id]) p.lastMs[id] = ms;
    const n = p.n[id];
    if (n > 0) {
      const prev = p.lastContact[id];
      if (ms >= prev && ms - prev < this.coalesce) {
        this.pool[p.tail[id] + 2 + 2 * chunkOffset(n - 1)] += bytes;
        return;
      }
      if (ms < prev) p.inOrder[id] = 0;
      if (n === this.options.maxEventsPerPair) this.compact(id);
    }
    this.store(id, ms, bytes);
  }

  private orient(id: number, port: number, f: Flow): void {
    const p = this.p;
    if (f.dstPort === port) p.toward[id]++;
    if (f.srcPort === port) p.from[id]++;
    const other = f.dstPort === port ? f.srcPort : f.dstPort;
    if (other !== null) {
      if (p.otherPort[id] < 0) p.otherPort[id] = other;
      else if (other !== p.otherPort[id]) p.varies[id] = 1;
    }
  }

  private allocChunk(cap: number): number {
    const list = this.free.get(cap);
    if (list?.length) return list.pop() as number;
    const need = this.poolUsed + 1 + 2 * cap;
    if (need > this.pool.length) {
      let size = this.pool.length * 2;
      while (size < need) size *= 2;
      const bigger = new Float64Array(size);
      bigger.set(this.pool.subarray(0, this.poolUsed));
      this.pool = bigger;
    }
    const at = this.poolUsed;
    this.poolUsed = need;
    return at;
  }

  private store(id: number, ms: number, bytes: number): void {
    const p = this.p;
    const n = p.n[id];
    const offset = chunkOffset(n);
    let tail = p.tail[id];
    if (offset === 0) {
      const chunk = this.allocChunk(chunkCapacity(n));
      this.pool[chunk] = tail;
      p.tail[id] = tail = chunk;
    }
    this.pool[tail + 1 + 2 * offset] = ms;
    this.pool[tail + 2 + 2 * offset] = bytes;
    p.n[id] = n + 1;
    p.lastContact[id] = ms;
  }

  /** Gives a pair's chunks back to the free lists. */
  private release(id: number): void {
    const p = this.p;
    let k = p.n[id];
    for (let chunk = p.tail[id]; k > 0; ) {
      const start = k - 1 - chunkOffset(k - 1);
      const prev = this.pool[chunk];
      const cap = chunkCapacity(start);
      let list = this.free.get(cap);
      if (!list) {
        list = [];
        this.free.set(cap, list);
      }
      list.push(chunk);
      chunk = prev;
      k = start;
    }
    p.n[id] = 0;
    p.tail[id] = -1;
  }

  /** The stored contacts of a pair, in storage order, into times/bytes (index 0..n). */
  private gather(id: number, times: Float64Array, bytes: Float64Array): void {
    const pool = this.pool;
    let k = this.p.n[id];
    for (let chunk = this.p.tail[id]; k > 0; chunk = pool[chunk]) {
      const start = k - 1 - chunkOffset(k - 1);
      for (let i = start; i < k; i++) {
        times[i] = pool[chunk + 1 + 2 * (i - start)];
        bytes[i] = pool[chunk + 2 + 2 * (i - start)];
      }
      k = start;
    }
  }

  /**
   * A pair's contacts, sorted by time, those closer than the coalescing interval merged (they are
   * already when the flows came in order).
   */
  private contactsOf(id: number): { times: Float64Array; bytes: Float64Array } {
    const n = this.p.n[id];
    const t = new Float64Array(n);
    const b = new Float64Array(n);
    this.gather(id, t, b);
    if (this.p.inOrder[id]) return { times: t, bytes: b };
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => t[x] - t[y]);
    const times = new Float64Array(n);
    const bytes = new Float64Array(n);
    let k = 0;
    for (const i of order) {
      if (k > 0 && t[i] - times[k - 1] < this.coalesce) {
        bytes[k - 1] += b[i];
        continue;
      }
      times[k] = t[i];
      bytes[k] = b[i];
      k++;
    }
    return { times: times.subarray(0, k), bytes: bytes.subarray(0, k) };
  }

  /** At the cap of stored contacts: keep the most recent half. */
  private compact(id: number): void {
    const { times, bytes } = this.contactsOf(id);
    const keep = Math.floor(times.length / 2);
    this.release(id);
    for (let i = times.length - keep; i < times.length; i++) this.store(id, times[i], bytes[i]);
    this.p.inOrder[id] = 1;
  }

  /** Forgets pairs idle since before watermark - idleEvictMs that have too few contacts to be judged. */
  advance(watermarkMs: number): void {
    const limit = watermarkMs - this.options.idleEvictMs;
    const p = this.p;
    const ids = this.keys.size;
    for (let id = 0; id < ids; id++) {
      if (p.alive[id] && p.lastMs[id] < limit && p.n[id] < this.options.minBeats) {
        this.release(id);
        p.alive[id] = 0;
        this.live--;
      }
    }
  }

  /** Pairs held. */
  get size(): number {
    return this.live;
  }

  /** The best period fit of a pair's contact times, or null. */
  private bestFit(times: Float64Array): PeriodFit | null {
    const o = this.options;
    const n = times.length;
    const candidates = o.periods === "auto" ? intervalCandidates(times, n, o) : o.periods;
    let best: PeriodFit | null = null;
    for (const c of candidates) {
      const fit = fitPeriod(times, n, c, o);
      if (!fit) continue;
      if (o.periods === "auto") {
        if (
          fit.periodMs < o.minPeriodMs * (1 - o.tolerance) ||
          fit.periodMs > o.maxPeriodMs * (1 + o.tolerance)
        )
          continue;
      } else if (Math.abs(fit.periodMs - c) > o.tolerance * c) continue;
      // on a tie the longer period: the fundamental, not a divisor
      if (
        !best ||
        fit.score > best.score + 1e-12 ||
        (Math.abs(fit.score - best.score) <= 1e-12 && fit.periodMs > best.periodMs)
      )
        best = fit;
    }
    return best;
  }

  /** Evaluates every pair (the state is kept: more flows may follow). */
  flush(): KeepAliveResult {
    const o = this.options;
    const p = this.p;
    const judgedPairs = new Map<number, Judged>();
    let judged = 0;
    const ids = this.keys.size;
    for (let id = 0; id < ids; id++) {
      if (!p.alive[id] || p.n[id] < o.minBeats) continue;
      const { times, bytes } = this.contactsOf(id);
      const n = times.length;
      if (n < o.minBeats) continue;
      judged++;
      const fit = this.bestFit(times);
      const beacon = beaconScore(times, bytes, n, this.windowStart, this.windowEnd);
      const keepAlive = fit?.score ?? 0;
      const { confidence, kind } = combineConfidence(keepAlive, beacon);
      if (confidence < o.minConfidence) continue;
      const periodMs =
        fit && kind === "keep-alive" ? fit.periodMs : (beacon?.medianIntervalMs ?? fit?.periodMs ?? 0);
      judgedPairs.set(id, {
        id,
        first: times[0],
        contact: {
          host: this.addresses.text(p.src[id]),
          peer: this.addresses.text(p.dst[id]),
          proto: this.protoNames[p.proto[id]],
          port: p.port[id] >= 0 ? p.port[id] : null,
          direction: "forward",
          periodMs,
          candidateMs: fit?.candidateMs ?? periodMs,
          contacts: n,
          flows: p.flows[id],
          firstMs: times[0],
          lastMs: times[n - 1],
          missedBeats: fit?.missedBeats ?? 0,
          fill: fit?.fill ?? 0,
          fit: fit?.fit ?? 0,
          phaseStability: fit?.phaseStability ?? 0,
          phasePeakShare: fit?.phasePeakShare ?? 0,
          phaseHistogram: fit?.phaseHistogram ?? [],
          jitterMs: fit?.jitterMs ?? beacon?.intervalMadMs ?? 0,
          keepAlive,
          beacon,
          confidence,
          kind,
        },
      });
    }
    // link each periodic pair with its reverse; orient towards the service side
    const contacts: PeriodicContact[] = [];
    const allowlisted: AllowlistedContact[] = [];
    const done = new Set<number>();
    for (const [id, j] of judgedPairs) {
      if (done.has(id)) continue;
      done.add(id);
      const reverseId = this.keyOf(p.dst[id], p.src[id], p.proto[id], p.port[id], false);
      const reverse = reverseId >= 0 ? judgedPairs.get(reverseId) : undefined;
      let c = j.contact;
      if (reverse) {
        done.add(reverseId);
        const forwardIsThis = this.initiates(j, reverse);
        c = forwardIsThis ? j.contact : reverse.contact;
        const other = forwardIsThis ? reverse.contact : j.contact;
        c = { ...c, direction: "both", confidence: Math.max(c.confidence, other.confidence) };
      } else if (this.isServerSide(id)) {
        // only the server -> client flows are periodic: report the client as the host
        c = { ...c, host: c.peer, peer: c.host, direction: "reverse" };
      }
      const server = c.peer;
      const service = allowedService(o.allow, c.proto, c.port ?? -1, server, c.host);
      if (service) {
        allowlisted.push({
          service,
          host: c.host,
          peer: c.peer,
          proto: c.proto,
          port: c.port,
          periodMs: c.periodMs,
          confidence: c.confidence,
        });
        continue;
      }
      contacts.push(c);
    }
    contacts.sort((a, b) => b.confidence - a.confidence || cmp(a.host, b.host) || cmp(a.peer, b.peer));
    allowlisted.sort((a, b) => cmp(a.service, b.service) || cmp(a.host, b.host) || cmp(a.peer, b.peer));
    return {
      hosts: this.hostSummaries(contacts),
      contacts,
      allowlisted,
      flows: this.flows,
      pairs: this.live,
      judged,
      windowStartMs: Number.isFinite(this.windowStart) ? this.windowStart : 0,
      windowEndMs: Number.isFinite(this.windowEnd) ? this.windowEnd : 0,
    };
  }

  /** Whether pair a (rather than its reverse b) is the initiating direction. */
  private initiates(a: Judged, b: Judged): boolean {
    const p = this.p;
    if (p.port[a.id] >= 0) {
      const aTo = p.toward[a.id] - p.from[a.id];
      const bTo = p.toward[b.id] - p.from[b.id];
      if (aTo !== bTo) return aTo > bTo;
    }
    if (a.first !== b.first) return a.first < b.first;
    return a.contact.host < b.contact.host;
  }

  /**
   * Whether a pair's flows come from the service side (server -> client): most flows leave from the
   * service port, and that port is a service (below 1024, or the other side's port changes from flow
   * to flow, as ephemeral client ports do). Two fixed ports (p2p keep-alives) keep the flows' own
   * direction.
   */
  private isServerSide(id: number): boolean {
    const p = this.p;
    const port = p.port[id];
    return port >= 0 && p.from[id] > p.toward[id] && (port < 1024 || p.varies[id] === 1);
  }

  private hostSummaries(contacts: PeriodicContact[]): PeriodicHost[] {
    const tol = this.options.tolerance;
    const byHost = new Map<string, PeriodicContact[]>();
    for (const c of contacts) {
      let list = byHost.get(c.host);
      if (!list) {
        list = [];
        byHost.set(c.host, list);
      }
      list.push(c);
    }
    const hosts: PeriodicHost[] = [];
    for (const [host, list] of byHost) {
      const groups: { periods: number[]; peers: Set<string> }[] = [];
      for (const c of [...list].sort((a, b) => a.periodMs - b.periodMs)) {
        const g = groups.find((x) => Math.abs(x.periods[0] - c.periodMs) <= tol * 2 * x.periods[0]);
        if (g) {
          g.periods.push(c.periodMs);
          g.peers.add(c.peer);
        } else groups.push({ periods: [c.periodMs], peers: new Set([c.peer]) });
      }
      const periods = groups
        .map((g) => ({ periodMs: quantileSorted(g.periods, g.periods.length, 0.5), peers: g.peers.size }))
        .sort((a, b) => b.peers - a.peers || a.periodMs - b.periodMs);
      let miss = 1;
      let phase = 0;
      for (const c of list) {
        miss *= 1 - c.confidence;
        phase += c.phaseStability;
      }
      hosts.push({
        host,
        peers: new Set(list.map((c) => c.peer)).size,
        contacts: list,
        periods,
        periodMs: periods[0]?.periodMs ?? 0,
        phaseStability: phase / list.length,
        confidence: Math.min(0.999, 1 - miss),
      });
    }
    return hosts.sort((a, b) => b.confidence - a.confidence || b.peers - a.peers || cmp(a.host, b.host));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * relbot-style text for the keep-alive result: per host a line of 29 '=', the address, then
 * `<period> -> <peers>` for each listed period (a contact counts for the listed period its estimate is
 * within the tolerance of); with no list, the host's own periods rounded to the second.
 */
export function formatKeepAliveRelbotText(
  r: KeepAliveResult,
  periods: readonly number[] | "auto",
  tolerance: number,
): string {
  let out = "";
  const hosts = [...r.hosts].sort((a, b) => cmp(a.host, b.host));
  for (const h of hosts) {
    const rows: [number, number][] = [];
    if (periods === "auto") {
      for (const p of h.periods) rows.push([Math.round(p.periodMs / 1000) * 1000, p.peers]);
      rows.sort((a, b) => a[0] - b[0]);
    } else {
      for (const p of [...new Set(periods)].sort((a, b) => a - b)) {
        const peers = new Set(
          h.contacts.filter((c) => Math.abs(c.periodMs - p) <= tolerance * p).map((c) => c.peer),
        );
        rows.push([p, peers.size]);
      }
      if (!rows.some(([, n]) => n > 0)) continue;
    }
    out += `=============================\n${h.host}\n`;
    for (const [p, n] of rows) out += `${p} -> ${n}\n`;
  }
  return out;
}
