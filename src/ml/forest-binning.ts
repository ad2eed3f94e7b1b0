/**
 * Quantile binning for the histogram random forest: per feature at most 255 thresholds ("bin edges"),
 * placed halfway between neighbouring distinct values, so that a split "bin <= b" is the split
 * "value <= edges[b]" on the raw values. Features with few distinct values get one edge between each pair
 * (exact splits); others get edges at quantiles of (a sample of) the column, as scikit-learn's
 * HistGradientBoosting does.
 */
import { Rng } from "../core/random.ts";
import type { Matrix } from "./matrix.ts";

export const MAX_BINS = 256;

export interface BinningOptions {
  /** Bins per feature, 2..256 (default 256: 255 edges). */
  maxBins?: number;
  /** Rows looked at to place the edges (default 200,000; all rows when fewer). */
  sampleRows?: number;
  seed?: number;
}

/** Bin edges of every column of m (row-major); each array strictly increasing, at most maxBins - 1 long. */
export function binEdges(m: Matrix, opts: BinningOptions = {}): Float64Array[] {
  const maxBins = opts.maxBins ?? MAX_BINS;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS) {
    throw new RangeError(`maxBins must be an integer in 2..${MAX_BINS}, got ${maxBins}`);
  }
  const { rows, cols, data } = m;
  const sampleRows = Math.min(rows, opts.sampleRows ?? 200_000);
  let sample: Int32Array | undefined;
  if (sampleRows < rows) {
    // A sorted sample of distinct row indices (partial Fisher-Yates), the same for every column.
    const rng = new Rng(opts.seed ?? 0);
    const all = new Int32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    for (let i = 0; i < sampleRows; i++) {
      const j = i + rng.int(rows - i);
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    sample = all.slice(0, sampleRows).sort();
  }
  const values = new Float64Array(sampleRows);
  const edges: Float64Array[] = [];
  for (let f = 0; f < cols; f++) {
    if (sample) for (let j = 0; j < sampleRows; j++) values[j] = data[sample[j] * cols + f];
    else for (let j = 0; j < rows; j++) values[j] = data[j * cols + f];
    values.sort();
    edges.push(edgesOfSorted(values, maxBins));
  }
  return edges;
}

/** Edges of one sorted column. */
export function edgesOfSorted(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  }
  const out: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) out.push(midpoint(distinct[i - 1], distinct[i]));
  } else {
    // `done`: rows before it already lie left of an edge (the end of the last run of equal values)
    let done = 0;
    for (let q = 1; q < maxBins; q++) {
      const j = Math.min(n - 1, Math.max(1, Math.round((q * n) / maxBins)));
      if (j < done) continue;
      if (sorted[j - 1] === sorted[j]) {
        // inside a run of equal values: the edge goes just after the run
        const v = sorted[j];
        let e = j;
        while (e < n && sorted[e] === v) e++;
        done = e + 1;
        if (e < n) pushEdge(out, midpoint(v, sorted[e]));
      } else {
        done = j + 1;
        pushEdge(out, midpoint(sorted[j - 1], sorted[j]));
      }
    }
  }
  return Float64Array.from(out);
}

function pushEdge(out: number[], e: number): void {
  if (out.length === 0 || e > out[out.length - 1]) out.push(e);
}

/** Halfway between a < b, never equal to b (so b falls in the next bin). */
function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m < b ? m : a;
}

/** The bin of v: the first b with v <= edges[b], or edges.length. */
export function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The bins of m feature-major (`out[f * rows + i]`), in a SharedArrayBuffer so that worker threads read
 * the same memory.
 */
export function binMatrix(m: Matrix, edges: Float64Array[]): Uint8Array {
  const { rows, cols, data } = m;
  const out = new Uint8Array(new SharedArrayBuffer(Math.max(1, rows * cols)));
  for (let f = 0; f < cols; f++) {
    const e = edges[f];
    const base = f * rows;
    if (e.length === 0) continue;
    for (let i = 0; i < rows; i++) out[base + i] = binOf(e, data[i * cols + f]);
  }
  return out;
}
