/**
 * DBSCAN (Ester et al. 1996) with the semantics of scikit-learn's `DBSCAN`, on a k-d tree instead of
 * all pairwise distances:
 * - the neighbourhood of a point is every point at euclidean distance <= eps, the point itself included;
 * - a point is core when the (weighted) size of its neighbourhood is >= minSamples;
 * - clusters are the connected components of core points (linked when within eps), numbered 0..k-1 in
 *   the order of their lowest-index core point; a non-core point within eps of a core point is a border
 *   point and joins the first cluster (in that order) that reaches it; everything else is noise (-1).
 * This gives exactly scikit-learn's labels (border points: the lowest-numbered cluster with a core point
 * within eps, which is the first to reach them in scikit-learn's expansion). Three passes over a k-d tree:
 * 1. core test: weighted neighbourhood size, nearest tree nodes first and whole nodes that lie inside the
 *    eps-ball at once, stopping at minSamples; non-core points keep their (small) neighbourhood;
 * 2. expansion over core points only, skipping tree nodes whose core points are all labelled, so each
 *    core point is labelled once and noise never slows it down;
 * 3. border assignment from the neighbourhoods kept in pass 1.
 * Identical rows are merged first and carry their multiplicity as weight, so data with many duplicate
 * vectors costs as much as its distinct vectors.
 */
import { KdTree } from "./kdtree.ts";
import { checkMatrix, type Matrix, selectRows } from "./matrix.ts";

export interface DbscanOptions {
  /** Neighbourhood radius (> 0); a point at distance exactly eps is a neighbour. */
  eps: number;
  /** Weighted neighbourhood size, the point itself included, that makes a point core (default 5). */
  minSamples?: number;
  /** Only "euclidean". */
  metric?: "euclidean";
  /** Non-negative weight per row (default 1 each), as scikit-learn's sample_weight. */
  sampleWeight?: ArrayLike<number>;
  /** k-d tree leaf size (default 24). */
  leafSize?: number;
}

export interface DbscanResult {
  /** Cluster per row, 0..clusters-1 in order of discovery; -1 for noise. */
  labels: Int32Array;
  /** 1 for core rows. */
  core: Uint8Array;
  clusters: number;
  noise: number;
}

export function dbscan(m: Matrix, opts: DbscanOptions): DbscanResult {
  checkMatrix(m, "dbscan");
  const { eps } = opts;
  const minSamples = opts.minSamples ?? 5;
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(`dbscan: eps must be a finite number > 0, got ${eps}`);
  }
  if (!(minSamples >= 1) || !Number.isFinite(minSamples)) {
    throw new RangeError(`dbscan: minSamples must be >= 1, got ${minSamples}`);
  }
  if ((opts.metric ?? "euclidean") !== "euclidean") {
    throw new RangeError(`dbscan: unsupported metric ${opts.metric}; only "euclidean"`);
  }
  const n = m.rows;
  const weight = new Float64Array(n);
  let total = 0;
  if (opts.sampleWeight) {
    if (opts.sampleWeight.length !== n) {
      throw new RangeError(`dbscan: ${opts.sampleWeight.length} sample weights for ${n} rows`);
    }
    for (let i = 0; i < n; i++) {
      const w = opts.sampleWeight[i];
      if (!(w >= 0) || !Number.isFinite(w))
        throw new RangeError(`dbscan: sample weight ${i} is ${w}; need >= 0`);
      weight[i] = w;
      total += w;
    }
  } else {
    weight.fill(1);
    total = n;
  }
  if (total < minSamples) {
    throw new RangeError(
      `dbscan: minSamples (${minSamples}) exceeds the ${opts.sampleWeight ? "total sample weight" : "number of rows"} (${total}); no point can be core`,
    );
  }

  const { firstRow, of } = dedupeRows(m);
  const nu = firstRow.length;
  const uw = new Float64Array(nu);
  for (let i = 0; i < n; i++) uw[of[i]] += weight[i];
  const tree = new KdTree(nu === n ? m : selectRows(m, firstRow), { leafSize: opts.leafSize ?? 24 });
  const { order } = tree;
  const tw = new Float64Array(nu);
  for (let p = 0; p < nu; p++) tw[p] = uw[order[p]];
  const found = findCores(tree, tw, eps, minSamples);
  const label = connectCores(tree, found.core, eps);
  assignBorders(found, label);

  const posOf = new Int32Array(nu);
  for (let p = 0; p < nu; p++) posOf[order[p]] = p;
  const labels = new Int32Array(n);
  const core = new Uint8Array(n);
  let clusters = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const p = posOf[of[i]];
    const l = label[p];
    labels[i] = l;
    core[i] = found.core[p];
    if (l < 0) noise++;
    else if (l >= clusters) clusters = l + 1;
  }
  return { labels, core, clusters, noise };
}

/** Core flags by tree position, and the complete neighbourhoods (CSR, tree positions) of non-core points. */
interface Cores {
  core: Uint8Array;
  /** Neighbours of non-core point p: nbr[nbrStart[p] .. nbrStart[p + 1]); empty for core points. */
  nbrStart: Int32Array;
  nbr: Int32Array;
}

/**
 * Weighted eps-neighbourhood size per point, nearest tree nodes first so that core points stop as soon
 * as they reach minSamples; non-core points need their whole neighbourhood, which is kept for the border
 * assignment (it holds fewer than minSamples points unless weights are below 1).
 */
function findCores(tree: KdTree, tw: Float64Array, eps: number, minSamples: number): Cores {
  const { d, points, start, end, left, right, nodeCount } = tree;
  const nu = tree.n;
  const eps2 = eps * eps;
  const nodeW = new Float64Array(nodeCount);
  for (let node = nodeCount - 1; node >= 0; node--) {
    if (left[node] < 0) {
      let s = 0;
      for (let p = start[node]; p < end[node]; p++) s += tw[p];
      nodeW[node] = s;
    } else nodeW[node] = nodeW[left[node]] + nodeW[right[node]];
  }
  const small = smallNodes(tree, eps);
  const core = new Uint8Array(nu);
  const nbrStart = new Int32Array(nu + 1);
  let nbr: Int32Array = new Int32Array(Math.max(16, nu));
  let nbrLen = 0;
  let scratch: Int32Array = new Int32Array(64);
  const stack = new Int32Array(nodeCount + 1);
  for (let qp = 0; qp < nu; qp++) {
    const qo = qp * d;
    let count = 0;
    let found = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0 && count < minSamples) {
      const node = stack[--top];
      const s0 = start[node];
      const e0 = end[node];
      if (small[node] && tree.maxSqDist(node, points, qo) <= eps2) {
        count += nodeW[node];
        if (found + e0 - s0 > scratch.length) scratch = grow(scratch, found + e0 - s0);
        for (let p = s0; p < e0; p++) scratch[found++] = p;
        continue;
      }
      const l = left[node];
      if (l >= 0) {
        const r = right[node];
        const dl = boxSqDist(tree, l, points, qo, eps2);
        const dr = boxSqDist(tree, r, points, qo, eps2);
        if (dl <= dr) {
          if (dr <= eps2) stack[top++] = r;
          if (dl <= eps2) stack[top++] = l;
        } else {
          if (dl <= eps2) stack[top++] = l;
          if (dr <= eps2) stack[top++] = r;
        }
        continue;
      }
      for (let p = s0; p < e0; p++) {
        let s = 0;
        const b = p * d;
        for (let k = 0; k < d && s <= eps2; k++) {
          const t = points[b + k] - points[qo + k];
          s += t * t;
        }
        if (s <= eps2) {
          count += tw[p];
          if (found === scratch.length) scratch = grow(scratch, found + 1);
          scratch[found++] = p;
        }
      }
    }
    if (count >= minSamples) core[qp] = 1;
    else {
      if (nbrLen + found > nbr.length) nbr = grow(nbr, nbrLen + found);
      nbr.set(scratch.subarray(0, found), nbrLen);
      nbrLen += found;
    }
    nbrStart[qp + 1] = nbrLen;
  }
  return { core, nbrStart, nbr: nbr.subarray(0, nbrLen) };
}

/**
 * Cluster labels (by tree position) of the core points: breadth of expansion over core points only,
 * clusters numbered in order of their lowest-index core point (rows, not tree positions). Tree nodes
 * whose core points are all labelled are skipped, so non-core points never slow the expansion down.
 */
function connectCores(tree: KdTree, core: Uint8Array, eps: number): Int32Array {
  const { d, points, order, start, end, left, right, parent, leafOf, nodeCount } = tree;
  const nu = tree.n;
  const eps2 = eps * eps;
  const posOf = new Int32Array(nu);
  for (let p = 0; p < nu; p++) posOf[order[p]] = p;
  // Unlabelled core points per node.
  const unl = new Int32Array(nodeCount);
  for (let p = 0; p < nu; p++) {
    if (core[p]) for (let node = leafOf[p]; node >= 0; node = parent[node]) unl[node]++;
  }
  const label = new Int32Array(nu).fill(-1);
  const queue = new Int32Array(nu);
  const stack = new Int32Array(nodeCount + 1);
  const small = smallNodes(tree, eps);
  let qlen = 0;
  const mark = (p: number, c: number): void => {
    label[p] = c;
    for (let node = leafOf[p]; node >= 0; node = parent[node]) unl[node]--;
    queue[qlen++] = p;
  };
  let clusters = 0;
  for (let row = 0; row < nu; row++) {
    const seed = posOf[row];
    if (!core[seed] || label[seed] >= 0) continue;
    const c = clusters++;
    qlen = 0;
    mark(seed, c);
    while (qlen > 0) {
      const qp = queue[--qlen];
      const qo = qp * d;
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const node = stack[--top];
        if (unl[node] === 0 || boxSqDist(tree, node, points, qo, eps2) > eps2) continue;
        const inside = small[node] === 1 && tree.maxSqDist(node, points, qo) <= eps2;
        if (!inside && left[node] >= 0) {
          stack[top++] = right[node];
          stack[top++] = left[node];
          continue;
        }
        const e = end[node];
        for (let p = start[node]; p < e; p++) {
          if (!core[p] || label[p] >= 0) continue;
          if (!inside) {
            let s = 0;
            const b = p * d;
            for (let k = 0; k < d && s <= eps2; k++) {
              const t = points[b + k] - points[qo + k];
              s += t * t;
            }
            if (s > eps2) continue;
          }
          mark(p, c);
        }
      }
    }
  }
  return label;
}

/** A non-core point joins the first-discovered (lowest-numbered) cluster among its core neighbours. */
function assignBorders(found: Cores, label: Int32Array): void {
  const { core, nbrStart, nbr } = found;
  for (let p = 0; p < core.length; p++) {
    if (core[p]) continue;
    let best = -1;
    for (let k = nbrStart[p]; k < nbrStart[p + 1]; k++) {
      const q = nbr[k];
      if (core[q] && (best < 0 || label[q] < best)) best = label[q];
    }
    label[p] = best;
  }
}

function grow(a: Int32Array, need: number): Int32Array {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** 1 for nodes whose box diagonal is <= 2 eps: only those can lie inside an eps-ball. */
function smallNodes(tree: KdTree, eps: number): Uint8Array {
  const { d, lo, hi, nodeCount } = tree;
  const out = new Uint8Array(nodeCount);
  const lim = 4 * eps * eps;
  for (let node = 0; node < nodeCount; node++) {
    let s = 0;
    for (let k = node * d; k < node * d + d; k++) s += (hi[k] - lo[k]) ** 2;
    out[node] = s <= lim ? 1 : 0;
  }
  return out;
}

/** Squared distance from a point to a node's box, abandoned (returns > limit) once it exceeds limit. */
function boxSqDist(tree: KdTree, node: number, q: Float64Array, qo: number, limit: number): number {
  const { d, lo, hi } = tree;
  const b = node * d;
  let s = 0;
  for (let k = 0; k < d; k++) {
    const v = q[qo + k];
    const a = lo[b + k] - v;
    if (a > 0) s += a * a;
    else {
      const c = v - hi[b + k];
      if (c > 0) s += c * c;
    }
    if (s > limit) return s;
  }
  return s;
}

/**
 * Merges identical rows (bitwise equal values). `firstRow[u]` is the first row of distinct vector u,
 * in order of first occurrence; `of[i]` is the distinct vector of row i.
 */
export function dedupeRows(m: Matrix): { unique: number; firstRow: Int32Array; of: Int32Array } {
  const { rows: n, cols: d, data } = m;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
  let size = 16;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  const table = new Int32Array(size).fill(-1); // -> distinct id
  const first: number[] = [];
  const of = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x811c9dc5;
    const b = i * 2 * d;
    for (let k = 0; k < 2 * d; k++) {
      h = Math.imul(h ^ words[b + k], 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
    h ^= h >>> 15;
    let slot = h & mask;
    for (;;) {
      const u = table[slot];
      if (u < 0) {
        table[slot] = first.length;
        of[i] = first.length;
        first.push(i);
        break;
      }
      const fb = first[u] * 2 * d;
      let same = true;
      for (let k = 0; k < 2 * d; k++) {
        if (words[fb + k] !== words[b + k]) {
          same = false;
          break;
        }
      }
      if (same) {
        of[i] = u;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return { unique: first.length, firstRow: Int32Array.from(first), of };
}

/**
 * Distance from each row to its k-th nearest row, the row itself counting as the first (so k =
 * minSamples gives the smallest eps that makes the row core). Sorted descending, this is the usual
 * "k-distance plot" for choosing eps.
 */
export function kDistances(m: Matrix, k: number): Float64Array {
  checkMatrix(m, "kDistances");
  if (!Number.isInteger(k) || k < 1 || k > m.rows) {
    throw new RangeError(`kDistances: k must be an integer in [1, ${m.rows}], got ${k}`);
  }
  const tree = new KdTree(m);
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const { distances } = tree.nearest(m.data.subarray(i * m.cols, (i + 1) * m.cols), k);
    out[i] = distances[k - 1];
  }
  return out;
}
