/**
 * relbot's timedetector, bit for bit (spec section 3): one edge per ordered (src, dst) pair with its flow
 * start times in ms (time 0 dropped); per pair and period P a histogram over the period of the distinct
 * (level, idx) cells, each spread over idx +- RADIUS with weights 1 - (|d| / RADIUS)^(1/e); the pair is
 * periodic at P when the largest bin reaches MIN_VAL and it is the one and only bin at or above
 * FREE_COEF + MAX_COEF * max + DISP_COEF * std + MEAN_COEF * mean (mean and std over the non-zero bins).
 * Per source host and period the output is the number of its periodic pairs.
 *
 * Exactness: the same floating-point operations in the same order as the original's `g++ -O3` build
 * (double sums in time order, float counts, glibc's pow for the weights, int32 level/offset arithmetic,
 * periods listed twice counted as the original counts them), and its output text: hosts in byte order,
 * periods in numeric order, counts printed as C++ prints a float.
 *
 * Streaming operator with plain keyed state: push() per flow (typed-array timestamp storage per pair, no
 * object per flow), flush() evaluates. The original reads all input before deciding, so advance() has
 * nothing to finish early; the state is a 32-byte record per pair plus 8 bytes per flow start.
 */
import { z } from "zod";
import { formatIssues } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import type { Flow } from "../ingest/flows/record.ts";
import { AddressNumbers, chunkCapacity, chunkOffset, NOT_V4 } from "./addresses.ts";
import { exactPow } from "./exact-pow.ts";
import { GLIBC_POW_FLIPS } from "./glibc-pow-flips.ts";

/** The timedetector's parameters, under botscope names; `toRelbotJson` gives the original's keys. */
export interface RelbotConfig {
  /** "times": periods in ms, in the order given (duplicates are kept: the original counts them twice). */
  periods: number[];
  /** "UNIT_MS": width of a histogram bin. */
  unitMs: number;
  /** "RADIUS": bins each event spreads to on each side. */
  radius: number;
  /** "MIN_VAL": minimum flows of a pair, and minimum peak height. */
  minVal: number;
  /** "DISP_COEF", "MEAN_COEF", "FREE_COEF", "MAX_COEF": the peak threshold's coefficients. */
  dispCoef: number;
  meanCoef: number;
  freeCoef: number;
  maxCoef: number;
  /** "threads": read and ignored, as by the original. */
  threads: number;
}

/** The shipped timedetector.conf: botscope's defaults when no config file is given. */
export const RELBOT_DEFAULTS: Readonly<RelbotConfig> = Object.freeze({
  periods: [600000, 900000, 1800000, 2400000],
  unitMs: 1000,
  radius: 3,
  minVal: 4,
  dispCoef: 0.5,
  meanCoef: 0.5,
  freeCoef: 0,
  maxCoef: 0.5,
  threads: 4,
});

/**
 * The values compiled into the timedetector, which it keeps for keys a config file leaves out (so a
 * config file without DISP_COEF means -3, not the shipped 0.5). "times" has no default: it is required.
 */
export const RELBOT_COMPILED_DEFAULTS: Readonly<Omit<RelbotConfig, "periods">> = Object.freeze({
  unitMs: 1000,
  radius: 3,
  minVal: 4,
  dispCoef: -3,
  meanCoef: 0,
  freeCoef: 0,
  maxCoef: 1,
  threads: 1,
});

/** Histogram sizes beyond this are refused (the original would allocate them, 8 bytes a bin). */
const MAX_BINS = 1 << 26;

/** boost's property tree reads every JSON value as text: numbers may also be given as strings. */
const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/),
]);
const intLike = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^[-+]?\d+$/),
]);

const relbotJsonSchema = z
  .object({
    times: z.array(intLike),
    UNIT_MS: intLike.optional(),
    RADIUS: intLike.optional(),
    MIN_VAL: numberLike.optional(),
    DISP_COEF: numberLike.optional(),
    MEAN_COEF: numberLike.optional(),
    FREE_COEF: numberLike.optional(),
    MAX_COEF: numberLike.optional(),
    threads: intLike.optional(),
  })
  .passthrough();

/** Checks a configuration; a UserError names what is wrong. */
export function validateRelbotConfig(c: RelbotConfig, origin = "relbot configuration"): RelbotConfig {
  const bad = (what: string) => {
    throw new UserError(`${origin}: ${what}`);
  };
  for (const p of c.periods)
    if (!Number.isSafeInteger(p) || p < 1) bad(`times: periods must be positive integers (ms), got ${p}`);
  if (!Number.isSafeInteger(c.unitMs) || c.unitMs < 1 || c.unitMs > 0x7fffffff)
    bad(`UNIT_MS must be a positive integer, got ${c.unitMs}`);
  if (!Number.isSafeInteger(c.radius) || c.radius < 0 || c.radius > 1_000_000)
    bad(`RADIUS must be an integer >= 0, got ${c.radius}`);
  for (const [k, v] of [
    ["MIN_VAL", c.minVal],
    ["DISP_COEF", c.dispCoef],
    ["MEAN_COEF", c.meanCoef],
    ["FREE_COEF", c.freeCoef],
    ["MAX_COEF", c.maxCoef],
  ] as const)
    if (!Number.isFinite(v)) bad(`${k} must be a number, got ${v}`);
  for (const p of c.periods) {
    const bins = Math.trunc(p / c.unitMs) + c.radius + 1;
    if (bins > MAX_BINS)
      bad(`period ${p} / UNIT_MS ${c.unitMs} needs ${bins} histogram bins (at most ${MAX_BINS})`);
  }
  return c;
}

/**
 * Reads a timedetector.json / timedetector.conf text with the original's keys ("times", "UNIT_MS",
 * "RADIUS", "MIN_VAL", "DISP_COEF", "MEAN_COEF", "FREE_COEF", "MAX_COEF", "threads"; "comment_*" and
 * other keys ignored). Keys left out take the compiled-in values, as in the original.
 */
export function parseRelbotConfig(text: string, origin = "relbot configuration"): RelbotConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${origin}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = relbotJsonSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${origin}: ${formatIssues(parsed.error)}`);
  const j = parsed.data;
  const num = (v: number | string | undefined, d: number) => (v === undefined ? d : Number(v));
  const d = RELBOT_COMPILED_DEFAULTS;
  return validateRelbotConfig(
    {
      periods: j.times.map((t) => Number(t)),
      unitMs: num(j.UNIT_MS, d.unitMs),
      radius: num(j.RADIUS, d.radius),
      minVal: num(j.MIN_VAL, d.minVal),
      dispCoef: num(j.DISP_COEF, d.dispCoef),
      meanCoef: num(j.MEAN_COEF, d.meanCoef),
      freeCoef: num(j.FREE_COEF, d.freeCoef),
      maxCoef: num(j.MAX_COEF, d.maxCoef),
      threads: num(j.threads, d.threads),
    },
    origin,
  );
}

/** Whether a parsed JSON value looks like a timedetector configuration (has "times" or its coefficients). */
export function isRelbotConfigObject(raw: unknown): boolean {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return (
    keys.includes("times") || keys.some((k) => /^(UNIT_MS|RADIUS|MIN_VAL|(DISP|MEAN|FREE|MAX)_COEF)$/.test(k))
  );
}

/** The configuration under the original's JSON keys (what `--config` files contain). */
export function toRelbotJson(c: RelbotConfig): Record<string, unknown> {
  return {
    times: c.periods,
    DISP_COEF: c.dispCoef,
    MEAN_COEF: c.meanCoef,
    FREE_COEF: c.freeCoef,
    MAX_COEF: c.maxCoef,
    UNIT_MS: c.unitMs,
    RADIUS: c.radius,
    MIN_VAL: c.minVal,
    threads: c.threads,
  };
}

/**
 * The kernel: w[d] = 1 - pow(float(d) / RADIUS, 1/e) for d = 0..RADIUS (1 when RADIUS is 0), with
 * glibc's pow to the last bit (see glibc-pow-flips.ts).
 */
export function relbotWeights(radius: number): Float64Array {
  const w = new Float64Array(radius + 1);
  if (radius === 0) {
    w[0] = 1;
    return w;
  }
  const r = Math.fround(radius);
  const y = 1 / Math.E;
  const bits = new DataView(new ArrayBuffer(4));
  for (let d = 0; d <= radius; d++) {
    const q = Math.fround(Math.fround(d) / r);
    bits.setFloat32(0, q);
    w[d] = 1 - exactPow(q, y, GLIBC_POW_FLIPS.has(bits.getUint32(0)));
  }
  return w;
}

const TWO32 = 4294967296;

/** C's conversion of an integer-valued double to int32 (modulo 2^32, as gcc does). */
function toInt32(v: number): number {
  if (v >= -0x80000000 && v <= 0x7fffffff) return v;
  const m = v % TWO32;
  return m | 0;
}

/** dt mod 2^32 as uint32 arithmetic, for the original's int overflow paths. */
function low32(v: number): number {
  const m = v % TWO32;
  return m < 0 ? m + TWO32 : m;
}

/** Why a pair was or was not periodic at one period (for tests and JSON). */
export interface RelbotVerdict {
  periodic: boolean;
  /** False when the pair had fewer than MIN_VAL flows (nothing else was computed). */
  evaluated: boolean;
  max: number;
  mean: number;
  std: number;
  threshold: number;
  /** Bins at or above the threshold. */
  above: number;
}

/** The per-pair, per-period test of the original, with scratch space reused across pairs. */
export class RelbotKernel {
  readonly weights: Float64Array;
  private readonly bins: Float64Array;
  /** Per idx: the evaluation that last saw it (distinct idx list without clearing). */
  private readonly stamp: Int32Array;
  private idxs = new Int32Array(256);
  private order = new Int32Array(1024);
  private epoch = 0;

  constructor(readonly config: RelbotConfig) {
    this.weights = relbotWeights(config.radius);
    let size = 1;
    for (const p of config.periods) size = Math.max(size, Math.trunc(p / config.unitMs) + config.radius + 1);
    this.bins = new Float64Array(size);
    this.stamp = new Int32Array(size);
  }

  /** Number of bins the histogram of a period has. */
  size(period: number): number {
    return toInt32(Math.trunc(period / this.config.unitMs)) + this.config.radius + 1;
  }

  /**
   * Evaluates one pair at one period exactly as the original: `times[0..n)` sorted ascending, without
   * zeros (repeats may be left in or dropped: equal times fall into one cell), `count` the pair's number
   * of flows with a non-zero time (the original's size check).
   */
  evaluate(times: Float64Array, n: number, count: number, period: number): RelbotVerdict {
    const c = this.config;
    if (count < c.minVal || n === 0)
      return {
        periodic: false,
        evaluated: n > 0,
        max: 0,
        mean: Number.NaN,
        std: Number.NaN,
        threshold: Number.NaN,
        above: 0,
      };
    const R = c.radius;
    const unit = c.unitMs;
    const w = this.weights;
    const size = this.size(period);
    const bins = this.bins;
    const stamp = this.stamp;
    if (++this.epoch === 0x7fffffff) {
      stamp.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    let idxs = this.idxs;
    let nIdx = 0;
    const t0 = times[0];
    const simple = period <= 0x7fffffff;
    let prevLevel = -1;
    let prevIdx = -1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const dt = times[i] - t0;
      let q = Math.floor(dt / period);
      if (q * period > dt) q--;
      else if ((q + 1) * period <= dt) q++;
      let level: number;
      let wrapped: number;
      if (simple && q <= 0x7fffffff) {
        level = q;
        wrapped = dt - q * period;
      } else {
        level = toInt32(q);
        // ts - level * period in unsigned 64-bit arithmetic, then truncated to int: only the low 32 bits count
        const prod = Math.imul(level, low32(period) | 0) >>> 0;
        wrapped = (low32(dt) - prod) | 0;
      }
      const idx = (wrapped / unit) | 0;
      if (level === prevLevel && idx === prevIdx) continue;
      prevLevel = level;
      prevIdx = idx;
      // weights are >= 0, so a running maximum of the updated bins is the largest final bin
      for (let x = -R; x <= R; x++) {
        const v = idx - x;
        if (v < 0 || v >= size) continue;
        const y = bins[v] + w[x < 0 ? -x : x];
        bins[v] = y;
        if (y > max) max = y;
      }
      // remember each distinct event position once (out-of-range ones only occur on overflow paths)
      const inRange = idx >= 0 && idx < size;
      if (inRange ? stamp[idx] !== epoch : idx + R >= 0 && idx - R < size) {
        if (inRange) stamp[idx] = epoch;
        if (nIdx === idxs.length) {
          const bigger = new Int32Array(idxs.length * 2);
          bigger.set(idxs);
          idxs = this.idxs = bigger;
        }
        idxs[nIdx++] = idx;
      }
    }
    // mean and std depend on the order bins are summed in (index order) and are needed only when the
    // peak is high enough, so most pairs skip sorting
    if (!(max >= c.minVal)) {
      for (let k = 0; k < nIdx; k++) {
        const lo = idxs[k] - R < 0 ? 0 : idxs[k] - R;
        const hi = idxs[k] + R >= size ? size - 1 : idxs[k] + R;
        for (let v = lo; v <= hi; v++) bins[v] = 0;
      }
      return {
        periodic: false,
        evaluated: true,
        max,
        mean: Number.NaN,
        std: Number.NaN,
        threshold: Number.NaN,
        above: 0,
      };
    }
    sortInts(idxs, nIdx);
    // the touched bins in index order: the union of [idx - R, idx + R], each bin once
    let order = this.order;
    let nBins = 0;
    let next = 0;
    for (let k = 0; k < nIdx; k++) {
      let lo = idxs[k] - R;
      if (lo < next) lo = next;
      let hi = idxs[k] + R;
      if (hi >= size) hi = size - 1;
      if (hi < lo) continue;
      if (nBins + hi - lo + 1 > order.length) {
        const bigger = new Int32Array(Math.max(order.length * 2, nBins + hi - lo + 1));
        bigger.set(order.subarray(0, nBins));
        order = this.order = bigger;
      }
      for (let v = lo; v <= hi; v++) order[nBins++] = v;
      next = hi + 1;
    }
    // std::accumulate and std::inner_product run in index order; zeros add nothing
    let sum = 0;
    let sq = 0;
    let nnz = 0;
    for (let k = 0; k < nBins; k++) {
      const y = bins[order[k]];
      if (y !== 0) {
        sum += y;
        sq += y * y;
        nnz++;
      }
    }
    const mean = sum / nnz;
    const std = Math.sqrt(sq / nnz - mean * mean);
    const threshold = c.freeCoef + c.maxCoef * max + c.dispCoef * std + c.meanCoef * mean;
    let above = 0;
    let aboveIsMax = true;
    for (let k = 0; k < nBins; k++) {
      const y = bins[order[k]];
      if (y !== 0 && y >= threshold) {
        above++;
        if (y !== max) aboveIsMax = false;
      }
    }
    const zeros = size - nnz;
    if (zeros > 0 && 0 >= threshold) {
      above += zeros;
      if (max !== 0) aboveIsMax = false;
    }
    const periodic = above === 1 && aboveIsMax;
    for (let k = 0; k < nBins; k++) bins[order[k]] = 0;
    return { periodic, evaluated: true, max, mean, std, threshold, above };
  }
}

/** Sorts a[0..n) ascending: insertion sort for the short lists most pairs have. */
function sortInts(a: Int32Array, n: number): void {
  if (n > 32) {
    a.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/** One source host of the result: its count per period (as the original's float). */
export interface RelbotHost {
  host: string;
  /** Aligned with RelbotResult.periods. */
  counts: number[];
  /** Destinations periodic at each period (same alignment), for JSON and reports. */
  peers: string[][];
}

export interface RelbotResult {
  /** The distinct periods in numeric order (the output's order). */
  periods: number[];
  /** Hosts with a non-zero count for some period, in the original's (byte) order. */
  hosts: RelbotHost[];
  /** Flows pushed, flows dropped for time 0, pairs, hosts seen. */
  flows: number;
  zeroTimes: number;
  pairs: number;
  addresses: number;
}

const INITIAL_POOL = 1 << 16;
/**
 * A pair's record, stored in its hash slot (4 doubles, half a cache line). An address is a number: a
 * canonical IPv4 address is its uint32 value (its text follows from it), anything else 2^32 + its id
 * in the address table, so the usual flow costs one table lookup, not three.
 */
const S_SRC = 0; // source address number + 1 (0: empty slot)
const S_DST = 1; // destination address number
const S_COUNT = 2; // times stored: flows with a non-zero time (the original's times.size())
const S_TAIL = 3; // current chunk (chunks link back to the previous one)
const SLOT = 4;

/**
 * The compatible detector. State: address ids; an open-addressing table whose slots are the pair
 * records (source, destination, counts, last time, chunk chain); per pair a chain of chunks in one
 * Float64Array pool with its start times. No object per flow or per pair.
 */
export class RelbotDetector {
  readonly config: RelbotConfig;
  private readonly addresses = new AddressNumbers();
  private slots = new Float64Array(SLOT << 12);
  private nPairs = 0;
  /** Chunk layout: [previous chunk offset (or -1), times...]. */
  private pool = new Float64Array(INITIAL_POOL);
  private poolUsed = 0;
  private flows = 0;
  private zeroTimes = 0;

  constructor(config: RelbotConfig = RELBOT_DEFAULTS) {
    this.config = validateRelbotConfig({ ...config, periods: [...config.periods] });
  }

  private allocChunk(cap: number): number {
    const need = this.poolUsed + cap + 1;
    if (need > this.pool.length) {
      let size = this.pool.length * 2;
      while (size < need) size *= 2;
      const bigger = new Float64Array(size);
      bigger.set(this.pool.subarray(0, this.poolUsed));
      this.pool = bigger;
    }
    const at = this.poolUsed;
    this.pool[at] = -1;
    this.poolUsed = need;
    return at;
  }

  private static slotOf(s: number, d: number, mask: number): number {
    // s, d < 2^33: mix the low 32 bits and the "not IPv4" bit of each
    let h = Math.imul(s | 0, 0x9e3779b1) ^ Math.imul((d | 0) + 0x7f4a7c15, 0x85ebca77);
    if (s >= NOT_V4) h ^= 0x5bd1e995;
    if (d >= NOT_V4) h ^= 0x1b873593;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & mask;
  }

  private growSlots(): void {
    const old = this.slots;
    const slots = new Float64Array(old.length * 2);
    const mask = slots.length / SLOT - 1;
    for (let i = 0; i < old.length; i += SLOT) {
      const s1 = old[i + S_SRC];
      if (s1 === 0) continue;
      let j = RelbotDetector.slotOf(s1 - 1, old[i + S_DST], mask);
      while (slots[j * SLOT + S_SRC] !== 0) j = (j + 1) & mask;
      slots.set(old.subarray(i, i + SLOT), j * SLOT);
    }
    this.slots = slots;
  }

  /** The record offset of pair (s, d) (address numbers), created when new. */
  private record(s: number, d: number): number {
    let slots = this.slots;
    const mask = slots.length / SLOT - 1;
    let j = RelbotDetector.slotOf(s, d, mask);
    const s1 = s + 1;
    for (;;) {
      const r = j * SLOT;
      const v = slots[r + S_SRC];
      if (v === s1 && slots[r + S_DST] === d) return r;
      if (v === 0) break;
      j = (j + 1) & mask;
    }
    if ((this.nPairs + 1) * 2 > mask + 1) {
      this.growSlots();
      slots = this.slots;
      const m2 = slots.length / SLOT - 1;
      j = RelbotDetector.slotOf(s, d, m2);
      while (slots[j * SLOT + S_SRC] !== 0) j = (j + 1) & m2;
    }
    this.nPairs++;
    const r = j * SLOT;
    slots[r + S_SRC] = s1;
    slots[r + S_DST] = d;
    return r;
  }

  /** The text of an address number. */
  private addressText(n: number): string {
    return this.addresses.text(n);
  }

  /** One flow: start in epoch ms (integer), source and destination as the input spells them. */
  push(ms: number, src: string, dst: string): void {
    this.pushRange(ms, src, 0, src.length, dst, 0, dst.length);
  }

  /** One flow with its addresses as ranges of the text they stand in (see RelbotTextReader). */
  pushRange(ms: number, st: string, ss: number, se: number, dt: string, ds: number, de: number): void {
    this.flows++;
    const r = this.record(this.addresses.of(st, ss, se), this.addresses.of(dt, ds, de));
    if (ms === 0) {
      // the edge exists, the time is not kept (as the original's add_link)
      this.zeroTimes++;
      return;
    }
    // no read of the pool here (it is large and random access): a repeated time is stored again and
    // falls into the same cell as its twin when the pair is evaluated
    const slots = this.slots;
    const stored = slots[r + S_COUNT];
    slots[r + S_COUNT] = stored + 1;
    const offset = chunkOffset(stored);
    let tail = slots[r + S_TAIL];
    if (offset === 0) {
      const chunk = this.allocChunk(chunkCapacity(stored));
      this.pool[chunk] = stored === 0 ? -1 : tail;
      slots[r + S_TAIL] = tail = chunk;
    }
    this.pool[tail + 1 + offset] = ms;
  }

  /** A flow from any reader, its start converted to ms as relbot's pipeline would (see relbotFlowMs). */
  pushFlow(f: Flow): void {
    this.push(relbotFlowMs(f), f.srcAddr, f.dstAddr);
  }

  /** Nothing is decided before the end of the input (the original reads it all first). */
  advance(_watermarkMs: number): void {}

  /** Pairs seen so far. */
  get pairs(): number {
    return this.nPairs;
  }

  /** The stored times of the pair at record r, sorted, in `into` (grown when needed). */
  private pairTimes(r: number, into: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
    const n = this.slots[r + S_COUNT];
    if (into.length < n) into = new Float64Array(Math.max(n, into.length * 2));
    const pool = this.pool;
    // from the last chunk back: the chunk holding time k - 1 starts at k - 1 - its offset
    let k = n;
    for (let chunk = this.slots[r + S_TAIL]; k > 0; chunk = pool[chunk]) {
      const start = k - 1 - chunkOffset(k - 1);
      for (let i = start; i < k; i++) into[i] = pool[chunk + 1 + i - start];
      k = start;
    }
    into.subarray(0, n).sort();
    return into;
  }

  /** Evaluates every pair and returns the result (the state is kept: more flows may follow). */
  flush(): RelbotResult {
    const c = this.config;
    const kernel = new RelbotKernel(c);
    // distinct periods with their multiplicity, in the order the original's loops visit them
    const order: number[] = [];
    const mult = new Map<number, number>();
    for (const p of c.periods) {
      if (!mult.has(p)) order.push(p);
      mult.set(p, (mult.get(p) ?? 0) + 1);
    }
    const sorted = [...order].sort((a, b) => a - b);
    const column = new Map(sorted.map((p, i) => [p, i]));
    const marks = new Map<number, Float32Array>();
    const peers = new Map<number, string[][]>();
    const seen = new Set<number>();
    let scratch = new Float64Array(1024);
    const slots = this.slots;
    for (let r = 0; r < slots.length; r += SLOT) {
      if (slots[r + S_SRC] === 0) continue;
      seen.add(slots[r + S_SRC] - 1);
      seen.add(slots[r + S_DST]);
      const count = slots[r + S_COUNT];
      if (count < c.minVal || count === 0) continue;
      const n = count;
      scratch = this.pairTimes(r, scratch);
      const src = slots[r + S_SRC] - 1;
      const dst = slots[r + S_DST];
      let m = marks.get(src);
      for (const period of order) {
        if (!kernel.evaluate(scratch, n, count, period).periodic) continue;
        const k = mult.get(period) ?? 1;
        // find_submarine adds 1 per listed copy of the period; the caller then adds that k times
        let e = 0;
        for (let i = 0; i < k; i++) e = Math.fround(e + 1);
        if (!m) {
          m = new Float32Array(sorted.length);
          marks.set(src, m);
          peers.set(
            src,
            sorted.map(() => []),
          );
        }
        const col = column.get(period) ?? 0;
        for (let i = 0; i < k; i++) m[col] = Math.fround(m[col] + e);
        peers.get(src)?.[col].push(this.addressText(dst));
      }
    }
    const hosts: RelbotHost[] = [];
    for (const [src, m] of marks) {
      if (!m.some((x) => x !== 0)) continue;
      hosts.push({ host: this.addressText(src), counts: Array.from(m), peers: peers.get(src) ?? [] });
    }
    hosts.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    for (const h of hosts) for (const list of h.peers) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      periods: sorted,
      hosts,
      flows: this.flows,
      zeroTimes: this.zeroTimes,
      pairs: this.nPairs,
      addresses: seen.size,
    };
  }
}

/**
 * A flow's start in ms as relbot's pipeline computes it. relbot's own text carries ms already (ports
 * null, no protocol: exact). Everything else reaches the original as nfdump's `%ts` text
 * (YYYY-MM-DD hh:mm:ss.mmm) converted by netflowaggr, which reads the seconds with stof and takes
 * int(1000 * seconds) in float arithmetic, so some starts lose a millisecond; that is reproduced.
 */
export function relbotFlowMs(f: Flow): number {
  if (f.srcPort === null && f.proto === "") return Math.round(f.start * 1000);
  return nfdumpTextMs(Math.floor(f.start * 1000 + 1e-4));
}

/** netflowaggr's conversion of a time printed with milliseconds: minute exact, seconds through float. */
export function nfdumpTextMs(ms: number): number {
  const minute = Math.floor(ms / 60000) * 60000;
  const seconds = Math.fround((ms - minute) / 1000);
  return minute + Math.trunc(Math.fround(1000 * seconds));
}

/** C++'s `ostream << float` (the %g conversion with 6 significant digits). */
export function formatCppFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const [mant, expText] = v.toExponential(5).split("e");
  const exp = Number(expText);
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= 6)
    return `${strip(mant)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return strip(v.toFixed(5 - exp));
}

const SEPARATOR = "=============================";

/** The original's output text: per host a line of 29 '=', the address, then `<period> -> <count>` lines. */
export function formatRelbotText(r: RelbotResult): string {
  let out = "";
  for (const h of r.hosts) {
    out += `${SEPARATOR}\n${h.host}\n`;
    for (let i = 0; i < r.periods.length; i++) out += `${r.periods[i]} -> ${formatCppFloat(h.counts[i])}\n`;
  }
  return out;
}

/** Parses relbot's output text back into hosts and counts (what its report script reads). */
export function parseRelbotText(text: string): { host: string; counts: Map<number, number> }[] {
  const out: { host: string; counts: Map<number, number> }[] = [];
  let cur: { host: string; counts: Map<number, number> } | undefined;
  let expectHost = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("===")) {
      expectHost = true;
      continue;
    }
    if (expectHost) {
      cur = { host: line.trim(), counts: new Map() };
      out.push(cur);
      expectHost = false;
      continue;
    }
    const m = /^\s*(\d+)\s*->\s*(\S+)\s*$/.exec(line);
    if (m && cur) cur.counts.set(Number(m[1]), Number(m[2]));
  }
  return out;
}
