/**
 * Isolation Forest (Liu, Ting & Zhou 2008), as scikit-learn's `IsolationForest`. Each tree is grown on
 * `sampleSize` rows drawn without replacement (at most n): a node picks a column uniformly among those
 * not constant in the node and a threshold uniformly between their min and max (rows <= threshold go
 * left), until one row is left, all rows are identical, or the depth reaches ceil(log2(sampleSize)).
 * The path length of x in a tree is the depth of its leaf plus c(leaf size), c(m) being the average
 * path length of an unsuccessful binary-search-tree search among m points; the anomaly score is
 * s(x) = 2^(-E[h(x)] / c(sampleSize)), in (0, 1]: near 1 is anomalous, clearly below 0.5 is normal.
 * It equals -score_samples of scikit-learn. Same seed, same forest.
 */
import { Rng } from "../core/random.ts";
import { checkMatrix, type Matrix } from "./matrix.ts";

export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  /** Rows per tree (default 256, capped at n). */
  sampleSize?: number;
  seed?: number | string;
}

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of m points. */
export function averagePathLength(m: number): number {
  if (m <= 1) return 0;
  if (m === 2) return 1;
  return 2 * (Math.log(m - 1) + EULER_GAMMA) - (2 * (m - 1)) / m;
}

export class IsolationForest {
  readonly nTrees: number;
  readonly sampleSize: number;
  private readonly seed: number | string;
  private d = 0;
  private psi = 0;
  /** All trees' nodes, flat: split column (-1 for a leaf), threshold, left child (right = left + 1). */
  private feature = new Int32Array(0);
  private threshold = new Float64Array(0);
  private left = new Int32Array(0);
  /** Leaf: depth + c(leaf size). */
  private pathLength = new Float64Array(0);
  private roots = new Int32Array(0);

  constructor(opts: IsolationForestOptions = {}) {
    this.nTrees = opts.nTrees ?? 100;
    this.sampleSize = opts.sampleSize ?? 256;
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.nTrees) || this.nTrees < 1) {
      throw new RangeError(`IsolationForest: nTrees must be a positive integer, got ${this.nTrees}`);
    }
    if (!Number.isInteger(this.sampleSize) || this.sampleSize < 2) {
      throw new RangeError(`IsolationForest: sampleSize must be an integer >= 2, got ${this.sampleSize}`);
    }
  }

  fit(m: Matrix): this {
    checkMatrix(m, "IsolationForest.fit");
    const { rows: n, cols: d, data } = m;
    if (n < 2) throw new RangeError("IsolationForest.fit: needs at least 2 rows");
    const psi = Math.min(this.sampleSize, n);
    const maxDepth = Math.ceil(Math.log2(psi));
    const rng = new Rng(this.seed);
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    // A tree has at most 2 * psi - 1 nodes.
    const cap = this.nTrees * (2 * psi - 1);
    const feature = new Int32Array(cap);
    const threshold = new Float64Array(cap);
    const left = new Int32Array(cap);
    const pathLength = new Float64Array(cap);
    const roots = new Int32Array(this.nTrees);
    const idx = new Int32Array(psi);
    const lo = new Float64Array(d);
    const hi = new Float64Array(d);
    const candidates = new Int32Array(d);
    let used = 0;
    // Work list: node, start, end, depth.
    const work: number[] = [];
    for (let t = 0; t < this.nTrees; t++) {
      // Partial Fisher-Yates: the first psi entries of pool become a uniform sample without replacement.
      for (let s = 0; s < psi; s++) {
        const j = s + rng.int(n - s);
        const tmp = pool[s];
        pool[s] = pool[j];
        pool[j] = tmp;
        idx[s] = pool[s];
      }
      roots[t] = used;
      used++;
      work.push(roots[t], 0, psi, 0);
      while (work.length > 0) {
        const depth = work.pop()!;
        const end = work.pop()!;
        const start = work.pop()!;
        const node = work.pop()!;
        const size = end - start;
        feature[node] = -1;
        if (depth >= maxDepth || size <= 1) {
          pathLength[node] = depth + averagePathLength(size);
          continue;
        }
        lo.fill(Number.POSITIVE_INFINITY);
        hi.fill(Number.NEGATIVE_INFINITY);
        for (let s = start; s < end; s++) {
          const b = idx[s] * d;
          for (let k = 0; k < d; k++) {
            const v = data[b + k];
            if (v < lo[k]) lo[k] = v;
            if (v > hi[k]) hi[k] = v;
          }
        }
        let nc = 0;
        for (let k = 0; k < d; k++) if (hi[k] > lo[k]) candidates[nc++] = k;
        if (nc === 0) {
          pathLength[node] = depth + averagePathLength(size);
          continue;
        }
        const f = candidates[rng.int(nc)];
        let thr = lo[f] + (hi[f] - lo[f]) * rng.next();
        if (thr >= hi[f]) thr = lo[f];
        // Partition idx[start..end): <= thr first.
        let i = start;
        let j = end - 1;
        while (i <= j) {
          if (data[idx[i] * d + f] <= thr) i++;
          else {
            const tmp = idx[i];
            idx[i] = idx[j];
            idx[j] = tmp;
            j--;
          }
        }
        feature[node] = f;
        threshold[node] = thr;
        left[node] = used;
        used += 2;
        work.push(left[node], start, i, depth + 1, left[node] + 1, i, end, depth + 1);
      }
    }
    this.d = d;
    this.psi = psi;
    this.feature = feature.slice(0, used);
    this.threshold = threshold.slice(0, used);
    this.left = left.slice(0, used);
    this.pathLength = pathLength.slice(0, used);
    this.roots = roots;
    return this;
  }

  /** Anomaly score s(x) in (0, 1] per row. */
  score(m: Matrix): Float64Array {
    if (this.psi === 0) throw new RangeError("IsolationForest.score: call fit first");
    checkMatrix(m, "IsolationForest.score");
    if (m.cols !== this.d)
      throw new RangeError(`IsolationForest.score: fitted on ${this.d} columns, got ${m.cols}`);
    const { rows: n, cols: d, data } = m;
    const { feature, threshold, left, pathLength, roots } = this;
    const out = new Float64Array(n);
    const norm = -1 / (this.nTrees * averagePathLength(this.psi));
    for (let i = 0; i < n; i++) {
      const b = i * d;
      let total = 0;
      for (let t = 0; t < roots.length; t++) {
        let node = roots[t];
        let f = feature[node];
        while (f >= 0) {
          node = data[b + f] <= threshold[node] ? left[node] : left[node] + 1;
          f = feature[node];
        }
        total += pathLength[node];
      }
      out[i] = 2 ** (total * norm);
    }
    return out;
  }

  fitScore(m: Matrix): Float64Array {
    return this.fit(m).score(m);
  }
}
