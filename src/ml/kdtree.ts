/**
 * A k-d tree over the rows of a matrix, for euclidean radius and nearest-neighbour queries.
 * Nodes split at the median of their widest dimension until at most `leafSize` points (or all
 * identical points) remain; each node keeps the exact bounding box of its points, so queries prune
 * whole subtrees that are out of reach and take whole subtrees that are within reach. Points are
 * copied in tree order, so a leaf is one contiguous run of memory. Distances are compared squared:
 * a point at distance exactly r is within r (as scikit-learn's radius queries).
 * The node arrays are public and read-only so that algorithms (DBSCAN) can walk the tree themselves.
 */
import { checkMatrix, type Matrix } from "./matrix.ts";

export interface KdTreeOptions {
  /** Most points in a leaf (default 24). */
  leafSize?: number;
}

export class KdTree {
  readonly n: number;
  readonly d: number;
  /** The points in tree order: tree position p holds the row `order[p]`. */
  readonly points: Float64Array;
  /** Tree position -> row of the original matrix. */
  readonly order: Int32Array;
  /** Per node: the half-open range [start, end) of tree positions it covers. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Per node: children, or -1 for a leaf. Node 0 is the root. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly parent: Int32Array;
  /** Per node: bounding box, `lo[node * d + k]` .. `hi[node * d + k]`. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Tree position -> the leaf holding it. */
  readonly leafOf: Int32Array;
  readonly nodeCount: number;
  private readonly stack: Int32Array;

  constructor(m: Matrix, opts: KdTreeOptions = {}) {
    checkMatrix(m, "KdTree");
    const leafSize = opts.leafSize ?? 24;
    if (!Number.isInteger(leafSize) || leafSize < 1) {
      throw new RangeError(`KdTree: leafSize must be a positive integer, got ${leafSize}`);
    }
    const { rows: n, cols: d, data } = m;
    this.n = n;
    this.d = d;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;

    const start: number[] = [];
    const end: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const parent: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    const blo = new Float64Array(d);
    const bhi = new Float64Array(d);
    let maxDepth = 0;
    // Work list of [node, depth]; nodes are created before they are split.
    const work: number[] = [];
    const newNode = (s: number, e: number, p: number, depth: number): number => {
      const id = start.length;
      start.push(s);
      end.push(e);
      left.push(-1);
      right.push(-1);
      parent.push(p);
      blo.fill(Number.POSITIVE_INFINITY);
      bhi.fill(Number.NEGATIVE_INFINITY);
      for (let q = s; q < e; q++) {
        const base = order[q] * d;
        for (let k = 0; k < d; k++) {
          const v = data[base + k];
          if (v < blo[k]) blo[k] = v;
          if (v > bhi[k]) bhi[k] = v;
        }
      }
      for (let k = 0; k < d; k++) {
        lo.push(blo[k]);
        hi.push(bhi[k]);
      }
      if (depth > maxDepth) maxDepth = depth;
      work.push(id, depth);
      return id;
    };
    newNode(0, n, -1, 0);
    while (work.length > 0) {
      const depth = work.pop()!;
      const id = work.pop()!;
      const s = start[id];
      const e = end[id];
      if (e - s <= leafSize) continue;
      let dim = 0;
      let spread = -1;
      for (let k = 0; k < d; k++) {
        const w = hi[id * d + k] - lo[id * d + k];
        if (w > spread) {
          spread = w;
          dim = k;
        }
      }
      if (spread <= 0) continue; // all points identical: a leaf of any size
      const mid = (s + e) >>> 1;
      select(order, data, d, dim, s, e - 1, mid);
      const l = newNode(s, mid, id, depth + 1);
      const r = newNode(mid, e, id, depth + 1);
      left[id] = l;
      right[id] = r;
    }

    this.nodeCount = start.length;
    this.order = order;
    this.start = Int32Array.from(start);
    this.end = Int32Array.from(end);
    this.left = Int32Array.from(left);
    this.right = Int32Array.from(right);
    this.parent = Int32Array.from(parent);
    this.lo = Float64Array.from(lo);
    this.hi = Float64Array.from(hi);
    const points = new Float64Array(n * d);
    for (let p = 0; p < n; p++) points.set(data.subarray(order[p] * d, order[p] * d + d), p * d);
    this.points = points;
    const leafOf = new Int32Array(n);
    for (let node = 0; node < this.nodeCount; node++) {
      if (this.left[node] < 0) leafOf.fill(node, this.start[node], this.end[node]);
    }
    this.leafOf = leafOf;
    this.stack = new Int32Array(2 * maxDepth + 4);
  }

  /** Squared distance from the point at `q[qo..qo+d)` to the bounding box of `node` (0 inside). */
  minSqDist(node: number, q: ArrayLike<number>, qo: number): number {
    const d = this.d;
    const lo = this.lo;
    const hi = this.hi;
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
    }
    return s;
  }

  /** Squared distance from the point to the farthest corner of the bounding box of `node`. */
  maxSqDist(node: number, q: ArrayLike<number>, qo: number): number {
    const d = this.d;
    const lo = this.lo;
    const hi = this.hi;
    const b = node * d;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const v = q[qo + k];
      const a = Math.max(v - lo[b + k], hi[b + k] - v);
      s += a * a;
    }
    return s;
  }

  /** Calls `visit(row, sqDist)` for every row within distance r (inclusive) of `q`. */
  forEachWithin(q: ArrayLike<number>, r: number, visit: (row: number, sqDist: number) => void): void {
    this.checkQuery(q, "forEachWithin");
    const r2 = r * r;
    const { d, points, order, start, end, left, right } = this;
    const stack = this.stack;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      if (this.minSqDist(node, q, 0) > r2) continue;
      if (left[node] >= 0) {
        stack[top++] = left[node];
        stack[top++] = right[node];
        continue;
      }
      for (let p = start[node]; p < end[node]; p++) {
        let s = 0;
        const b = p * d;
        for (let k = 0; k < d; k++) {
          const t = points[b + k] - q[k];
          s += t * t;
        }
        if (s <= r2) visit(order[p], s);
      }
    }
  }

  /** The rows within distance r (inclusive) of `q`, ascending. */
  within(q: ArrayLike<number>, r: number): Int32Array {
    const out: number[] = [];
    this.forEachWithin(q, r, (i) => out.push(i));
    return Int32Array.from(out).sort();
  }

  /** How many rows lie within distance r (inclusive) of `q`, counting stops once `limit` is reached. */
  countWithin(q: ArrayLike<number>, r: number, limit = Number.POSITIVE_INFINITY): number {
    this.checkQuery(q, "countWithin");
    const r2 = r * r;
    const { d, points, start, end, left, right } = this;
    const stack = this.stack;
    let top = 0;
    let count = 0;
    stack[top++] = 0;
    while (top > 0 && count < limit) {
      const node = stack[--top];
      if (this.minSqDist(node, q, 0) > r2) continue;
      if (this.maxSqDist(node, q, 0) <= r2) {
        count += end[node] - start[node];
        continue;
      }
      if (left[node] >= 0) {
        stack[top++] = left[node];
        stack[top++] = right[node];
        continue;
      }
      for (let p = start[node]; p < end[node]; p++) {
        let s = 0;
        const b = p * d;
        for (let k = 0; k < d; k++) {
          const t = points[b + k] - q[k];
          s += t * t;
        }
        if (s <= r2) count++;
      }
    }
    return Math.min(count, limit);
  }

  /**
   * The k nearest rows to `q`, nearest first, with their euclidean distances (ties: lower tree
   * position first). A query point that is itself in the tree is its own nearest neighbour.
   */
  nearest(q: ArrayLike<number>, k: number): { indices: Int32Array; distances: Float64Array } {
    this.checkQuery(q, "nearest");
    if (!Number.isInteger(k) || k < 1 || k > this.n) {
      throw new RangeError(`KdTree.nearest: k must be an integer in [1, ${this.n}], got ${k}`);
    }
    const { d, points, start, end, left, right } = this;
    // Max-heap on squared distance of the best k so far.
    const hd = new Float64Array(k);
    const hp = new Int32Array(k);
    let size = 0;
    const push = (s: number, p: number): void => {
      if (size < k) {
        let i = size++;
        while (i > 0) {
          const par = (i - 1) >> 1;
          if (hd[par] >= s) break;
          hd[i] = hd[par];
          hp[i] = hp[par];
          i = par;
        }
        hd[i] = s;
        hp[i] = p;
        return;
      }
      if (s >= hd[0]) return;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= k) break;
        const r = l + 1;
        const c = r < k && hd[r] > hd[l] ? r : l;
        if (hd[c] <= s) break;
        hd[i] = hd[c];
        hp[i] = hp[c];
        i = c;
      }
      hd[i] = s;
      hp[i] = p;
    };
    const visit = (node: number): void => {
      if (size === k && this.minSqDist(node, q, 0) >= hd[0]) return;
      if (left[node] < 0) {
        for (let p = start[node]; p < end[node]; p++) {
          let s = 0;
          const b = p * d;
          for (let j = 0; j < d; j++) {
            const t = points[b + j] - q[j];
            s += t * t;
          }
          push(s, p);
        }
        return;
      }
      const l = left[node];
      const r = right[node];
      if (this.minSqDist(l, q, 0) <= this.minSqDist(r, q, 0)) {
        visit(l);
        visit(r);
      } else {
        visit(r);
        visit(l);
      }
    };
    visit(0);
    const idx = Array.from({ length: size }, (_, i) => i).sort((a, b) => hd[a] - hd[b] || hp[a] - hp[b]);
    return {
      indices: Int32Array.from(idx, (i) => this.order[hp[i]]),
      distances: Float64Array.from(idx, (i) => Math.sqrt(hd[i])),
    };
  }

  private checkQuery(q: ArrayLike<number>, what: string): void {
    if (q.length !== this.d)
      throw new RangeError(`KdTree.${what}: query has ${q.length} values, tree has d = ${this.d}`);
  }
}

/**
 * Rearranges order[lo..hi] so that order[k] holds the row whose value in column `dim` is k-th smallest,
 * smaller-or-equal ones before and greater-or-equal ones after (Hoare partitioning, median of three).
 */
function select(
  order: Int32Array,
  data: Float64Array,
  d: number,
  dim: number,
  lo: number,
  hi: number,
  k: number,
): void {
  const key = (p: number): number => data[order[p] * d + dim];
  const swap = (a: number, b: number): void => {
    const t = order[a];
    order[a] = order[b];
    order[b] = t;
  };
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    if (key(mid) < key(lo)) swap(mid, lo);
    if (key(hi) < key(lo)) swap(hi, lo);
    if (key(hi) < key(mid)) swap(hi, mid);
    const pivot = key(mid);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key(i) < pivot) i++;
      while (key(j) > pivot) j--;
      if (i <= j) {
        swap(i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
