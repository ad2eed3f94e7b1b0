/**
 * Streaming time windows over flows. Window i covers [origin + i * step, origin + i * step + length):
 * a flow belongs to every window its start time falls in (with 300 s windows every 150 s, to two), a flow
 * starting exactly on a boundary belongs to the window that starts there and not to the one that ends
 * there. Windows are aligned to the epoch (origin 0) by default, so the same flow always lands in the
 * same windows whatever else is in the input.
 *
 * `FlowWindows` keeps only the open windows: a window closes once the newest flow start seen, less the
 * allowed lateness, has passed its end; it then becomes one feature matrix (features.ts) with the
 * flow's hosts and label per row, handed to the caller, and its memory is released. Flows that arrive
 * after all their windows closed are counted as late.
 */
import type { Flow } from "../ingest/flows/record.ts";
import type { Matrix } from "../ml/matrix.ts";
import {
  BASE_FEATURES,
  COL,
  DST_AGGREGATES,
  encodeFlow,
  type FeatureSpec,
  featureNames,
  flowWidth,
  makeSpec,
  observeOptional,
  SRC_AGGREGATES,
  usableFlow,
} from "./features.ts";

export interface WindowOptions {
  /** Window length, default 300. */
  windowSeconds: number;
  /** Start of one window to the start of the next, default 150. */
  stepSeconds: number;
  /** Epoch seconds every window start is a whole number of steps from (default 0). */
  origin?: number;
}

/** The indices of the windows a time falls in: first..last inclusive. */
export function windowsOf(t: number, o: WindowOptions): { first: number; last: number } {
  if (!Number.isFinite(t)) return { first: 0, last: -1 };
  const rel = t - (o.origin ?? 0);
  let last = Math.floor(rel / o.stepSeconds);
  let first = Math.floor((rel - o.windowSeconds) / o.stepSeconds) + 1;
  // guard against rounding at exact boundaries: `last` starts at or before t, `first` ends after t
  while (windowStart(last + 1, o) <= t) last++;
  while (windowStart(last, o) > t) last--;
  while (first <= last && windowStart(first, o) + o.windowSeconds <= t) first++;
  while (windowStart(first - 1, o) + o.windowSeconds > t) first--;
  return { first, last };
}

export function windowStart(index: number, o: WindowOptions): number {
  return (o.origin ?? 0) + index * o.stepSeconds;
}

export function checkWindowOptions(o: WindowOptions): void {
  if (!(o.windowSeconds > 0) || !(o.stepSeconds > 0))
    throw new RangeError("window and step must be positive");
  if (o.stepSeconds > o.windowSeconds) {
    throw new RangeError(
      `step (${o.stepSeconds} s) longer than the window (${o.windowSeconds} s) would skip flows`,
    );
  }
}

/** Flow label for models: 1 botnet, 0 normal, -1 background or unknown (never trained on). */
export type RowLabel = 1 | 0 | -1;

/** One closed window as the models see it. */
export interface FlowWindow {
  index: number;
  start: number;
  end: number;
  /** One row per flow of the window, columns featureNames(spec). */
  x: Matrix;
  /** Host ids (FlowWindows.hosts) of each row's source and destination. */
  src: Int32Array;
  dst: Int32Array;
  label: Int8Array;
  /** Sequence number of each row's flow in the input (kept flows only). */
  flow: Int32Array;
}

export interface FlowWindowStats {
  /** Flows offered. */
  flows: number;
  /** Flows used (with packets and a direction). */
  kept: number;
  noPackets: number;
  noDirection: number;
  /** Flows whose windows had all closed when they arrived. */
  late: number;
  /** Flows with a start time that is not a finite number. */
  badTime: number;
  /** Windows emitted. */
  windows: number;
  /** Rows emitted (a flow counts once per window it is in). */
  rows: number;
}

/** Dotted IPv4 text to an unsigned integer, -1 when it is not one (a fast path for host ids). */
export function ipv4Key(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return v * 256 + part;
}

/** Addresses interned to small integers (IPv4 through an open-addressing table on the address value). */
export class HostTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  private keys = new Float64Array(1 << 12).fill(-1);
  private vals = new Int32Array(1 << 12);
  private used = 0;

  id(addr: string): number {
    const k = ipv4Key(addr);
    if (k < 0) {
      let id = this.ids.get(addr);
      if (id === undefined) {
        id = this.names.length;
        this.names.push(addr);
        this.ids.set(addr, id);
      }
      return id;
    }
    const mask = this.keys.length - 1;
    let slot = Math.imul(k | 0, 0x9e3779b1) >>> 0;
    slot = (slot ^ (slot >>> 15)) & mask;
    for (;;) {
      const have = this.keys[slot];
      if (have === k) return this.vals[slot];
      if (have === -1) break;
      slot = (slot + 1) & mask;
    }
    const id = this.names.length;
    this.names.push(addr);
    this.keys[slot] = k;
    this.vals[slot] = id;
    if (++this.used * 2 > this.keys.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1);
    this.vals = new Int32Array(oldKeys.length * 2);
    const mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i];
      if (k === -1) continue;
      let slot = Math.imul(k | 0, 0x9e3779b1) >>> 0;
      slot = (slot ^ (slot >>> 15)) & mask;
      while (this.keys[slot] !== -1) slot = (slot + 1) & mask;
      this.keys[slot] = k;
      this.vals[slot] = oldVals[i];
    }
  }

  get size(): number {
    return this.names.length;
  }
}

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;

interface Chunk {
  /** Held flows before (its x must be zeroed before encoding into it). */
  used?: boolean;
  x: Float64Array;
  src: Int32Array;
  dst: Int32Array;
  sport: Int32Array;
  dport: Int32Array;
  label: Int8Array;
}

class IntList {
  data = new Int32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

export interface FlowWindowsOptions extends WindowOptions {
  /** Seconds a flow may come after newer ones and still join its windows (default 60). */
  lateness?: number;
  /**
   * The feature spec. Without one it is decided from the flows seen before the first window closes
   * (optional fields and extra Argus columns present then), as training does.
   */
  spec?: FeatureSpec;
  /** Join host aggregates (default true; only used when the spec is decided here). */
  aggregates?: boolean;
}

/**
 * Flows in, closed windows out: `push` every flow with its label, `advance` between batches (closes
 * what the watermark passed), `flush` at the end.
 */
export class FlowWindows {
  readonly hosts = new HostTable();
  readonly stats: FlowWindowStats = {
    flows: 0,
    kept: 0,
    noPackets: 0,
    noDirection: 0,
    late: 0,
    badTime: 0,
    windows: 0,
    rows: 0,
  };
  private specValue: FeatureSpec | undefined;
  /** Per-flow columns of the spec. */
  private width = 0;
  /** Columns of a matrix row (per-flow and aggregates): the layout of stored flows. */
  private stride = 0;
  /** Join aggregates (when the spec is decided here). */
  private aggregates = true;
  private readonly o: Required<WindowOptions> & { lateness: number };
  private readonly open = new Map<number, IntList>();
  private readonly chunks: (Chunk | undefined)[] = [];
  private readonly spare: Chunk[] = [];
  /** Chunks below this index have been released. */
  private released = 0;
  private next = 0;
  private maxStart = Number.NEGATIVE_INFINITY;
  /** Windows below this index are closed. */
  private closedBelow = Number.NEGATIVE_INFINITY;
  private pending: { flow: Flow; label: RowLabel }[] | undefined;
  private readonly seenOptional = new Set<string>();
  private readonly seenExtras = new Set<string>();
  private localOf = new Int32Array(1024).fill(-1);

  constructor(
    opts: FlowWindowsOptions,
    private readonly onWindow: (w: FlowWindow) => void,
  ) {
    checkWindowOptions(opts);
    this.o = {
      windowSeconds: opts.windowSeconds,
      stepSeconds: opts.stepSeconds,
      origin: opts.origin ?? 0,
      lateness: opts.lateness ?? 60,
    };
    if (opts.spec) this.fix(opts.spec);
    else {
      this.pending = [];
      this.aggregates = opts.aggregates ?? true;
    }
  }

  /** The feature spec (decided at the first window when none was given). */
  get spec(): FeatureSpec | undefined {
    return this.specValue;
  }

  private fix(spec: FeatureSpec): void {
    this.specValue = spec;
    this.width = flowWidth(spec);
    // stored flows are laid out as whole matrix rows (aggregate columns left empty), so a window's
    // run of consecutive flows is copied into its matrix with one memory copy
    this.stride = featureNames(spec).length;
  }

  /** Adds a flow (the record may be reused by the caller afterwards). */
  push(f: Flow, label: RowLabel): void {
    this.stats.flows++;
    if (f.totPkts <= 0) {
      this.stats.noPackets++;
      return;
    }
    if (!usableFlow(f)) {
      this.stats.noDirection++;
      return;
    }
    if (!Number.isFinite(f.start)) {
      this.stats.badTime++;
      return;
    }
    const { first, last } = windowsOf(f.start, this.o);
    if (last < this.closedBelow) {
      this.stats.late++;
      return;
    }
    if (f.start > this.maxStart) this.maxStart = f.start;
    this.stats.kept++;
    if (this.pending) {
      observeOptional(f, this.seenOptional, this.seenExtras);
      this.pending.push({ flow: { ...f, extra: f.extra ? { ...f.extra } : null }, label });
      this.assign(-1 - (this.pending.length - 1), first, last);
      return;
    }
    this.assign(this.store(f, label), first, last);
  }

  private assign(id: number, first: number, last: number): void {
    for (let w = Math.max(first, this.closedBelow); w <= last; w++) {
      let list = this.open.get(w);
      if (!list) {
        list = new IntList();
        this.open.set(w, list);
      }
      list.push(id);
    }
  }

  private store(f: Flow, label: RowLabel): number {
    const id = this.next++;
    const c = id >>> CHUNK_BITS;
    let chunk = this.chunks[c];
    if (!chunk) {
      // released chunks are used again: fresh memory costs page faults on first touch
      chunk = this.spare.pop() ?? {
        x: new Float64Array(CHUNK * this.stride),
        src: new Int32Array(CHUNK),
        dst: new Int32Array(CHUNK),
        sport: new Int32Array(CHUNK),
        dport: new Int32Array(CHUNK),
        label: new Int8Array(CHUNK),
      };
      this.chunks[c] = chunk;
    }
    const j = id & (CHUNK - 1);
    const at = j * this.stride;
    if (chunk.used) chunk.x.fill(0, at, at + this.width);
    encodeFlow(f, this.specValue as FeatureSpec, chunk.x, at);
    chunk.src[j] = this.hosts.id(f.srcAddr);
    chunk.dst[j] = this.hosts.id(f.dstAddr);
    chunk.sport[j] = f.srcPort ?? -1;
    chunk.dport[j] = f.dstPort ?? -1;
    chunk.label[j] = label;
    return id;
  }

  /** Closes every window the watermark (newest start - lateness) has passed. */
  advance(): void {
    this.closeUpTo(this.maxStart - this.o.lateness);
  }

  /** Closes every open window. */
  flush(): void {
    this.closeUpTo(Number.POSITIVE_INFINITY);
  }

  private closeUpTo(watermark: number): void {
    // every window the watermark has passed is closed, also those that never got a flow
    const passed =
      watermark === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : Math.floor((watermark - this.o.windowSeconds - this.o.origin) / this.o.stepSeconds) + 1;
    if (this.open.size === 0) {
      if (passed > this.closedBelow && !this.pending) this.closedBelow = passed;
      return;
    }
    const ready = [...this.open.keys()]
      .filter((w) => windowStart(w, this.o) + this.o.windowSeconds <= watermark)
      .sort((a, b) => a - b);
    for (const w of ready) {
      if (this.pending) this.resolvePending();
      const list = this.open.get(w) as IntList;
      this.open.delete(w);
      this.closedBelow = Math.max(this.closedBelow, w + 1);
      this.emit(w, list);
    }
    if (!this.pending) this.closedBelow = Math.max(this.closedBelow, passed);
    if (ready.length) this.release();
  }

  /** Fixes the spec from what was seen and stores the flows held back until then. */
  private resolvePending(): void {
    this.fix(
      makeSpec(this.o.windowSeconds, this.o.stepSeconds, this.seenOptional, this.seenExtras, this.aggregates),
    );
    const pending = this.pending as { flow: Flow; label: RowLabel }[];
    this.pending = undefined;
    const ids = pending.map((p) => this.store(p.flow, p.label));
    for (const list of this.open.values()) {
      for (let i = 0; i < list.length; i++) if (list.data[i] < 0) list.data[i] = ids[-1 - list.data[i]];
    }
  }

  /** Drops chunks no open window refers to. */
  private release(): void {
    let min = this.next;
    for (const list of this.open.values())
      for (let i = 0; i < list.length; i++) min = Math.min(min, list.data[i]);
    for (let c = this.released; c < min >>> CHUNK_BITS; c++) {
      const chunk = this.chunks[c];
      if (chunk && this.spare.length < 4) {
        chunk.used = true;
        this.spare.push(chunk);
      }
      this.chunks[c] = undefined;
    }
    this.released = Math.max(this.released, min >>> CHUNK_BITS);
  }

  private emit(index: number, list: IntList): void {
    const spec = this.specValue as FeatureSpec;
    const m = list.length;
    const width = this.width;
    const names = featureNames(spec);
    const cols = names.length;
    // shared memory: worker threads read the matrix where it is
    const x = new Float64Array(new SharedArrayBuffer(Math.max(8, m * cols * 8)), 0, m * cols);
    const src = new Int32Array(m);
    const dst = new Int32Array(m);
    const sport = new Int32Array(m);
    const dport = new Int32Array(m);
    const label = new Int8Array(m);
    const flow = new Int32Array(m);
    const ids = list.data;
    for (let r = 0; r < m; ) {
      // the longest run of consecutive flows in one chunk, copied at once
      const id = ids[r];
      const c = id >>> CHUNK_BITS;
      const j = id & (CHUNK - 1);
      let n = 1;
      while (r + n < m && ids[r + n] === id + n && (id + n) >>> CHUNK_BITS === c) n++;
      const chunk = this.chunks[c] as Chunk;
      x.set(chunk.x.subarray(j * cols, (j + n) * cols), r * cols);
      src.set(chunk.src.subarray(j, j + n), r);
      dst.set(chunk.dst.subarray(j, j + n), r);
      sport.set(chunk.sport.subarray(j, j + n), r);
      dport.set(chunk.dport.subarray(j, j + n), r);
      label.set(chunk.label.subarray(j, j + n), r);
      for (let k = 0; k < n; k++) flow[r + k] = id + k;
      r += n;
    }
    if (spec.aggregates && m > 0) this.aggregate(x, cols, width, m, src, dst, sport, dport);
    const start = windowStart(index, this.o);
    this.stats.windows++;
    this.stats.rows += m;
    this.onWindow({
      index,
      start,
      end: start + this.o.windowSeconds,
      x: { data: x, rows: m, cols },
      src,
      dst,
      label,
      flow,
    });
  }

  /** Host aggregates of the window, written into the aggregate columns of every row. */
  private aggregate(
    x: Float64Array,
    cols: number,
    width: number,
    m: number,
    src: Int32Array,
    dst: Int32Array,
    sport: Int32Array,
    dport: Int32Array,
  ): void {
    if (this.localOf.length < this.hosts.size) {
      const l = new Int32Array(Math.max(this.hosts.size, this.localOf.length * 2)).fill(-1);
      this.localOf = l;
    }
    const localOf = this.localOf;
    const globals: number[] = [];
    const lsrc = new Int32Array(m);
    const ldst = new Int32Array(m);
    const local = (g: number): number => {
      let l = localOf[g];
      if (l < 0) {
        l = globals.length;
        localOf[g] = l;
        globals.push(g);
      }
      return l;
    };
    for (let r = 0; r < m; r++) {
      lsrc[r] = local(src[r]);
      ldst[r] = local(dst[r]);
    }
    const h = globals.length;
    const outFlows = new Float64Array(h);
    const inFlows = new Float64Array(h);
    const failed = new Float64Array(h);
    const inFailed = new Float64Array(h);
    const tcp = new Float64Array(h);
    const udp = new Float64Array(h);
    const icmp = new Float64Array(h);
    const bytes = new Float64Array(h);
    const bytes2 = new Float64Array(h);
    const pkts = new Float64Array(h);
    const dur = new Float64Array(h);
    const dur2 = new Float64Array(h);
    const sent = new Float64Array(h);
    for (let r = 0; r < m; r++) {
      const s = lsrc[r];
      const d = ldst[r];
      const o = r * cols;
      outFlows[s]++;
      inFlows[d]++;
      const fl = x[o + COL.failed];
      failed[s] += fl;
      inFailed[d] += fl;
      tcp[s] += x[o + COL.tcp];
      udp[s] += x[o + COL.udp];
      icmp[s] += x[o + COL.icmp];
      const b = x[o + COL.bytes];
      bytes[s] += b;
      bytes2[s] += b * b;
      pkts[s] += x[o + COL.pkts];
      const t = x[o + COL.dur];
      dur[s] += t;
      dur2[s] += t * t;
      sent[s] += x[o + COL.srcBytes];
    }
    const peers = new Float64Array(h);
    const dports = new Float64Array(h);
    const sports = new Float64Array(h);
    const inPeers = new Float64Array(h);
    distinctCounts(lsrc, h, [ldst, dport, sport], [h, 65537, 65537], [peers, dports, sports]);
    distinctCounts(ldst, h, [lsrc], [h], [inPeers]);
    const base = width;
    for (let r = 0; r < m; r++) {
      const s = lsrc[r];
      const d = ldst[r];
      const o = r * cols + base;
      const n = outFlows[s];
      const meanB = bytes[s] / n;
      const meanD = dur[s] / n;
      x[o] = n;
      x[o + 1] = peers[s];
      x[o + 2] = dports[s];
      x[o + 3] = sports[s];
      x[o + 4] = peers[s] / n;
      x[o + 5] = dports[s] / n;
      x[o + 6] = failed[s] / n;
      x[o + 7] = tcp[s] / n;
      x[o + 8] = udp[s] / n;
      x[o + 9] = icmp[s] / n;
      x[o + 10] = meanB;
      x[o + 11] = Math.sqrt(Math.max(0, bytes2[s] / n - meanB * meanB));
      x[o + 12] = pkts[s] / n;
      x[o + 13] = meanD;
      x[o + 14] = Math.sqrt(Math.max(0, dur2[s] / n - meanD * meanD));
      x[o + 15] = bytes[s] > 0 ? sent[s] / bytes[s] : 0;
      x[o + 16] = inFlows[s];
      x[o + 17] = inPeers[s];
      const q = o + SRC_AGGREGATES.length;
      x[q] = inFlows[d];
      x[q + 1] = inPeers[d];
      x[q + 2] = inFlows[d] > 0 ? inFailed[d] / inFlows[d] : 0;
      x[q + 3] = outFlows[d];
    }
    for (const g of globals) localOf[g] = -1;
  }
}

/**
 * For keys 0..nKeys-1, the number of distinct values of each `values[v]` (ints in -1..ranges[v]-2) paired
 * with the key over the rows, into outs[v]: rows grouped by key with a counting sort, then one pass per
 * group with a stamp per value.
 */
function distinctCounts(
  key: Int32Array,
  nKeys: number,
  values: Int32Array[],
  ranges: number[],
  outs: Float64Array[],
): void {
  const m = key.length;
  const start = new Int32Array(nKeys + 1);
  for (let r = 0; r < m; r++) start[key[r] + 1]++;
  for (let k = 0; k < nKeys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, nKeys);
  const order = new Int32Array(m);
  for (let r = 0; r < m; r++) order[fill[key[r]]++] = r;
  for (let v = 0; v < values.length; v++) {
    const value = values[v];
    const out = outs[v];
    const stamp = new Int32Array(ranges[v] + 1).fill(-1);
    for (let k = 0; k < nKeys; k++) {
      let count = 0;
      for (let j = start[k]; j < start[k + 1]; j++) {
        const x = value[order[j]] + 1;
        if (stamp[x] !== k) {
          stamp[x] = k;
          count++;
        }
      }
      out[k] = count;
    }
  }
}

/** Sanity: aggregate columns follow the per-flow block in featureNames order. */
export const AGGREGATE_COLUMNS = SRC_AGGREGATES.length + DST_AGGREGATES.length;
export const BASE_COLUMNS = BASE_FEATURES.length;
