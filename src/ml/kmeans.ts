/**
 * k-means as scikit-learn's `KMeans(algorithm="lloyd")`: greedy k-means++ seeding (each new centre is
 * the best of 2 + floor(ln k) candidates drawn with probability proportional to squared distance), then
 * Lloyd iterations until the labels stop changing, the total squared centre shift falls to
 * `tol * mean column variance`, or `maxIter`; Hamerly's distance bounds skip the distance computations
 * that cannot change a label, without changing the iterations, and the first assignment is the one the
 * seeding already found. A cluster left empty is moved to the point farthest from its centre. The best
 * of `nInit` seeded runs (lowest inertia, the sum of squared distances to the nearest centre) is
 * returned. Same seed, same result.
 *
 * Speed: distances are computed for four centres (and, where all rows need them, two rows) per pass over
 * a row, each sum still in column order so the numbers are those of the plain formula; the buffers are
 * allocated once per call. Elkan's per-centre bounds were tried and were slower on 10-d session
 * features (their per-centre branches cost more than the distances they save at small k).
 */
import { Rng } from "../core/random.ts";
import { checkMatrix, type Matrix } from "./matrix.ts";

export interface KMeansOptions {
  k: number;
  /** Independent seedings; the lowest inertia wins (default 10). */
  nInit?: number;
  /** Lloyd iterations per run (default 300). */
  maxIter?: number;
  /** Convergence: total squared centre shift <= tol * mean column variance (default 1e-4). */
  tol?: number;
  seed?: number | string;
  /** Start from these k centroids instead of k-means++ (then one run). */
  init?: Matrix;
}

export interface KMeansResult {
  /** Cluster per row, 0..k-1. */
  labels: Int32Array;
  /** k x d. */
  centroids: Matrix;
  /** Sum of squared distances from each row to its centroid. */
  inertia: number;
  /** Lloyd iterations of the returned run. */
  iterations: number;
  converged: boolean;
}

export function kmeans(m: Matrix, opts: KMeansOptions): KMeansResult {
  checkMatrix(m, "kmeans");
  const { k } = opts;
  const nInit = opts.init ? 1 : (opts.nInit ?? 10);
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-4;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`kmeans: k must be a positive integer, got ${k}`);
  if (k > m.rows) throw new RangeError(`kmeans: k (${k}) exceeds the number of rows (${m.rows})`);
  if (!Number.isInteger(nInit) || nInit < 1)
    throw new RangeError(`kmeans: nInit must be a positive integer, got ${nInit}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) {
    throw new RangeError(`kmeans: maxIter must be a positive integer, got ${maxIter}`);
  }
  if (!(tol >= 0)) throw new RangeError(`kmeans: tol must be >= 0, got ${tol}`);
  if (opts.init) {
    checkMatrix(opts.init, "kmeans init");
    if (opts.init.rows !== k || opts.init.cols !== m.cols) {
      throw new RangeError(
        `kmeans: init is ${opts.init.rows} x ${opts.init.cols}, expected ${k} x ${m.cols}`,
      );
    }
  }
  const tolAbs = tol * meanVariance(m);
  const rng = new Rng(opts.seed ?? 0);
  const ws = new Workspace(m.rows, k, m.cols);
  const buffers = opts.init ? undefined : seedBuffers(m.rows, k);
  let best: KMeansResult | undefined;
  for (let run = 0; run < nInit; run++) {
    const seeding = buffers ? seedPlusPlus(m, k, rng, buffers) : undefined;
    const centers = seeding ? seeding.centers : opts.init!.data.slice();
    const result = lloyd(m, centers, k, maxIter, tolAbs, ws, seeding);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/** The nearest centroid of each row and the resulting inertia. */
export function predict(m: Matrix, centroids: Matrix): { labels: Int32Array; inertia: number } {
  checkMatrix(m, "kmeans predict");
  checkMatrix(centroids, "kmeans predict centroids");
  if (m.cols !== centroids.cols) {
    throw new RangeError(`kmeans predict: rows have ${m.cols} columns, centroids ${centroids.cols}`);
  }
  const labels = new Int32Array(m.rows);
  const dist = new Float64Array(m.rows);
  const inertia = assign(m, centroids.data, centroids.rows, labels, dist);
  return { labels, inertia };
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn): the first centre uniformly at random,
 * each next one the candidate, among 2 + floor(ln k) drawn by squared distance, that lowers the
 * potential most.
 */
export function kmeansPlusPlus(m: Matrix, k: number, rng: Rng): Matrix {
  checkMatrix(m, "kmeansPlusPlus");
  if (!Number.isInteger(k) || k < 1 || k > m.rows) {
    throw new RangeError(`kmeansPlusPlus: k must be an integer in [1, ${m.rows}], got ${k}`);
  }
  return { data: seedPlusPlus(m, k, rng, seedBuffers(m.rows, k)).centers, rows: k, cols: m.cols };
}

/** Scratch of k-means++, reused by the runs of one `kmeans` call. */
interface SeedBuffers {
  /** Squared distance from each row to each candidate, row-major: cand[i * trials + t]. */
  cand: Float64Array;
  /** Running sums of the squared distances to the nearest centre, to draw rows by. */
  cum: Float64Array;
  nearest: Int32Array;
  closest: Float64Array;
}

function seedBuffers(n: number, k: number): SeedBuffers {
  const trials = 2 + Math.floor(Math.log(k));
  return {
    cand: new Float64Array(n * trials),
    cum: new Float64Array(n),
    nearest: new Int32Array(n),
    closest: new Float64Array(n),
  };
}

/**
 * A k-means++ seeding and what it found on the way: each row's nearest centre and squared distance
 * (in the buffers, valid until the next seeding).
 */
interface Seeding {
  centers: Float64Array;
  /** Nearest centre per row (the lowest index among equals): the first Lloyd assignment. */
  nearest: Int32Array;
  /** Squared distance to it. */
  closest: Float64Array;
}

/** k-means++ as documented at `kmeansPlusPlus`, keeping each row's nearest centre. */
function seedPlusPlus(m: Matrix, k: number, rng: Rng, buffers: SeedBuffers): Seeding {
  const { rows: n, cols: d, data } = m;
  const trials = 2 + Math.floor(Math.log(k));
  const { cand, cum, nearest, closest } = buffers;
  nearest.fill(0);
  const centers = new Float64Array(k * d);
  const candPot = new Float64Array(trials);
  const ids = new Int32Array(trials);
  const candRows = new Float64Array(trials * d);
  const first = rng.int(n);
  centers.set(data.subarray(first * d, first * d + d), 0);
  sqDistsAll(data, n, centers, 1, d, closest);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    pot += closest[i];
    cum[i] = pot;
  }
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) {
      const r = rng.next() * pot;
      ids[t] = pot > 0 ? Math.min(n - 1, upperBound(cum, r)) : rng.int(n);
    }
    for (let t = 0; t < trials; t++) candRows.set(data.subarray(ids[t] * d, ids[t] * d + d), t * d);
    sqDistsAll(data, n, candRows, trials, d, cand);
    for (let t = 0; t < trials; t++) {
      let p = 0;
      for (let i = 0, o = t; i < n; i++, o += trials) {
        const s = cand[o];
        const lim = closest[i];
        p += s < lim ? s : lim;
      }
      candPot[t] = p;
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (candPot[t] < candPot[best]) best = t;
    centers.set(data.subarray(ids[best] * d, ids[best] * d + d), c * d);
    // The new closest distances and their running sums (which end at candPot[best]).
    pot = 0;
    for (let i = 0, o = best; i < n; i++, o += trials) {
      const s = cand[o];
      if (s < closest[i]) {
        closest[i] = s;
        nearest[i] = c;
      }
      pot += closest[i];
      cum[i] = pot;
    }
  }
  return { centers, nearest, closest };
}

/** Buffers shared by the runs of one `kmeans` call. */
class Workspace {
  /** Per row: upper bound on the distance to its centre. */
  readonly upper: Float64Array;
  /** Per row: lower bound on the distance to every other centre. */
  readonly lower: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Float64Array;
  /** Half the distance from each centre to its nearest other centre. */
  readonly half: Float64Array;
  /** How far each centre moved in the last update, not yet applied to the bounds. */
  readonly move: Float64Array;
  /** Largest move, the second largest, and the centre that made the largest. */
  moved = { first: 0, second: 0, arg: -1 };
  readonly old: Float64Array;
  readonly scratch: Float64Array;

  constructor(n: number, k: number, d: number) {
    this.upper = new Float64Array(n);
    this.lower = new Float64Array(n);
    this.sums = new Float64Array(k * d);
    this.counts = new Float64Array(k);
    this.half = new Float64Array(k);
    this.move = new Float64Array(k);
    this.old = new Float64Array(k * d);
    this.scratch = new Float64Array(k);
  }
}

/**
 * Lloyd iterations, with Hamerly's (2010) bounds to skip distance computations that cannot change a
 * label: per row an upper bound on the distance to its centre and a lower bound on the distance to
 * every other centre, moved by how far the centres move (applied in the next assignment's pass over
 * the rows). Per-cluster sums are updated only for rows that change cluster. After a k-means++ seeding
 * the first assignment is the one the seeding found. The labels and centres after every iteration are
 * those of plain Lloyd (up to exact distance ties and the last bits of the sums).
 */
function lloyd(
  m: Matrix,
  centers: Float64Array,
  k: number,
  maxIter: number,
  tolAbs: number,
  ws: Workspace,
  seeding?: Seeding,
): KMeansResult {
  const { rows: n, cols: d, data } = m;
  const labels = new Int32Array(n);
  const { upper, lower, sums, counts, half, move, old } = ws;
  move.fill(0);
  ws.moved = { first: 0, second: 0, arg: -1 };
  let iterations = 0;
  let converged = false;
  let strict = false;
  while (iterations < maxIter) {
    iterations++;
    const firstPass = iterations === 1;
    let changed = firstPass;
    if (firstPass) {
      if (seeding) {
        // Lower bounds are unknown (0) until a row's distances are all computed.
        labels.set(seeding.nearest);
        for (let i = 0; i < n; i++) upper[i] = Math.sqrt(seeding.closest[i]);
        lower.fill(0);
      } else {
        for (let i = 0; i < n; i++) nearestTwo(data, i, centers, k, d, labels, upper, lower, ws.scratch);
      }
      accumulate(data, labels, d, sums, counts);
    } else {
      halfGaps(centers, k, d, half);
      changed = reassign(data, centers, k, d, labels, ws);
    }
    if (!changed) {
      converged = strict = true;
      break;
    }
    if (counts.includes(0)) relocateEmpty(m, centers, labels, ws, k);
    old.set(centers);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        move[c] = 0;
        continue;
      }
      for (let j = 0; j < d; j++) centers[c * d + j] = sums[c * d + j] / counts[c];
      const s2 = sqDistTo(centers, c * d, old, c * d, d);
      move[c] = Math.sqrt(s2);
      shift += s2;
    }
    let m1 = -1;
    let m2 = 0;
    let arg = -1;
    for (let c = 0; c < k; c++) {
      if (move[c] > m1) {
        m2 = Math.max(m1, 0);
        m1 = move[c];
        arg = c;
      } else if (move[c] > m2) m2 = move[c];
    }
    ws.moved = { first: m1, second: m2, arg };
    if (shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  if (!strict) {
    // Labels consistent with the final centres: one more bounded assignment step.
    halfGaps(centers, k, d, half);
    reassign(data, centers, k, d, labels, ws);
  }
  return {
    labels,
    centroids: { data: centers, rows: k, cols: d },
    inertia: inertia(m, centers, labels),
    iterations,
    converged,
  };
}

/** Half the distance from each centre to its nearest other centre. */
function halfGaps(centers: Float64Array, k: number, d: number, half: Float64Array): void {
  half.fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const h = Math.sqrt(sqDistTo(centers, a * d, centers, b * d, d)) / 2;
      if (h < half[a]) half[a] = h;
      if (h < half[b]) half[b] = h;
    }
  }
}

/**
 * Hamerly's step, after moving each row's bounds by the last centre moves: rows whose upper bound is
 * within max(half the gap to the nearest other centre, the lower bound) keep their centre; the others
 * get the bound tightened and, if still needed, all distances. Rows that change cluster move their
 * values between the per-cluster sums. Returns whether any label changed.
 */
function reassign(
  data: Float64Array,
  centers: Float64Array,
  k: number,
  d: number,
  labels: Int32Array,
  ws: Workspace,
): boolean {
  const { upper, lower, half, move, sums, counts, scratch } = ws;
  const { first: m1, second: m2, arg } = ws.moved;
  let changed = false;
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    const up = upper[i] + move[a];
    const lo = lower[i] - (a === arg ? m2 : m1);
    upper[i] = up;
    lower[i] = lo;
    const h = half[a];
    const bound = h > lo ? h : lo;
    if (up <= bound) continue;
    const u = Math.sqrt(sqDistBound(data, i * d, centers, a * d, d));
    upper[i] = u;
    if (u <= bound) continue;
    nearestTwo(data, i, centers, k, d, labels, upper, lower, scratch);
    const c = labels[i];
    if (c !== a) {
      changed = true;
      counts[a]--;
      counts[c]++;
      const b = i * d;
      for (let j = 0; j < d; j++) {
        sums[a * d + j] -= data[b + j];
        sums[c * d + j] += data[b + j];
      }
    }
  }
  move.fill(0);
  ws.moved = { first: 0, second: 0, arg: -1 };
  return changed;
}

/** Per-cluster sums of the rows and their counts. */
function accumulate(
  data: Float64Array,
  labels: Int32Array,
  d: number,
  sums: Float64Array,
  counts: Float64Array,
): void {
  sums.fill(0);
  counts.fill(0);
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c]++;
    const b = i * d;
    const cb = c * d;
    for (let j = 0; j < d; j++) sums[cb + j] += data[b + j];
  }
}

/** Exact nearest (label, upper = its distance) and second-nearest distance (lower) of row i. */
function nearestTwo(
  data: Float64Array,
  i: number,
  centers: Float64Array,
  k: number,
  d: number,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
  scratch: Float64Array,
): void {
  sqDistsToAll(data, i * d, centers, k, d, scratch);
  let best = Number.POSITIVE_INFINITY;
  let second = Number.POSITIVE_INFINITY;
  let bestC = 0;
  for (let c = 0; c < k; c++) {
    const s = scratch[c];
    if (s < best) {
      second = best;
      best = s;
      bestC = c;
    } else if (s < second) second = s;
  }
  labels[i] = bestC;
  upper[i] = Math.sqrt(best);
  lower[i] = Math.sqrt(second);
}

/**
 * Squared distances from the row at x[xo..xo+d) to each of the k rows of `centers`, into out[0..k).
 * Four centres per pass over the row: about twice as fast as one at a time.
 */
function sqDistsToAll(
  x: Float64Array,
  xo: number,
  centers: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
): void {
  let c = 0;
  for (; c + 3 < k; c += 4) {
    const c0 = c * d;
    const c1 = c0 + d;
    const c2 = c1 + d;
    const c3 = c2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[xo + j];
      const t0 = v - centers[c0 + j];
      const t1 = v - centers[c1 + j];
      const t2 = v - centers[c2 + j];
      const t3 = v - centers[c3 + j];
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    out[c] = s0;
    out[c + 1] = s1;
    out[c + 2] = s2;
    out[c + 3] = s3;
  }
  for (; c < k; c++) out[c] = sqDistTo(x, xo, centers, c * d, d);
}

/**
 * Squared distances from each of the n rows of x to each of the k rows of `centers`, into
 * out[i * k + c]; the same numbers as `sqDistsToAll` row by row, two rows and four centres per pass.
 */
function sqDistsAll(
  x: Float64Array,
  n: number,
  centers: Float64Array,
  k: number,
  d: number,
  out: Float64Array,
): void {
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x0 = i * d;
    const x1 = x0 + d;
    const o0 = i * k;
    const o1 = o0 + k;
    let c = 0;
    for (; c + 3 < k; c += 4) {
      const c0 = c * d;
      const c1 = c0 + d;
      const c2 = c1 + d;
      const c3 = c2 + d;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let j = 0; j < d; j++) {
        const u = x[x0 + j];
        const v = x[x1 + j];
        const e0 = centers[c0 + j];
        const e1 = centers[c1 + j];
        const e2 = centers[c2 + j];
        const e3 = centers[c3 + j];
        let t = u - e0;
        a0 += t * t;
        t = u - e1;
        a1 += t * t;
        t = u - e2;
        a2 += t * t;
        t = u - e3;
        a3 += t * t;
        t = v - e0;
        b0 += t * t;
        t = v - e1;
        b1 += t * t;
        t = v - e2;
        b2 += t * t;
        t = v - e3;
        b3 += t * t;
      }
      out[o0 + c] = a0;
      out[o0 + c + 1] = a1;
      out[o0 + c + 2] = a2;
      out[o0 + c + 3] = a3;
      out[o1 + c] = b0;
      out[o1 + c + 1] = b1;
      out[o1 + c + 2] = b2;
      out[o1 + c + 3] = b3;
    }
    for (; c < k; c++) {
      const e = c * d;
      let a = 0;
      let b = 0;
      for (let j = 0; j < d; j++) {
        const t0 = x[x0 + j] - centers[e + j];
        const t1 = x[x1 + j] - centers[e + j];
        a += t0 * t0;
        b += t1 * t1;
      }
      out[o0 + c] = a;
      out[o1 + c] = b;
    }
  }
  if (i < n) {
    const row = new Float64Array(k);
    sqDistsToAll(x, i * d, centers, k, d, row);
    out.set(row, i * k);
  }
}

/** Nearest centre per row into labels/dist (squared); returns the sum of squared distances. */
function assign(m: Matrix, centers: Float64Array, k: number, labels: Int32Array, dist: Float64Array): number {
  const { rows: n, cols: d, data } = m;
  let total = 0;
  const scratch = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sqDistsToAll(data, i * d, centers, k, d, scratch);
    let best = Number.POSITIVE_INFINITY;
    let bestC = 0;
    for (let c = 0; c < k; c++) {
      if (scratch[c] < best) {
        best = scratch[c];
        bestC = c;
      }
    }
    labels[i] = bestC;
    dist[i] = best;
    total += best;
  }
  return total;
}

/** Sum of squared distances from each row to its centre (two rows per pass; each sum in row order). */
function inertia(m: Matrix, centers: Float64Array, labels: Int32Array): number {
  const { rows: n, cols: d, data } = m;
  let total = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x0 = i * d;
    const x1 = x0 + d;
    const c0 = labels[i] * d;
    const c1 = labels[i + 1] * d;
    let s0 = 0;
    let s1 = 0;
    for (let j = 0; j < d; j++) {
      const t0 = data[x0 + j] - centers[c0 + j];
      const t1 = data[x1 + j] - centers[c1 + j];
      s0 += t0 * t0;
      s1 += t1 * t1;
    }
    total += s0;
    total += s1;
  }
  if (i < n) total += sqDistTo(data, i * d, centers, labels[i] * d, d);
  return total;
}

/**
 * Moves each empty cluster onto one of the points farthest from their centre (as scikit-learn), taking
 * the point out of its old cluster's sums.
 */
function relocateEmpty(m: Matrix, centers: Float64Array, labels: Int32Array, ws: Workspace, k: number): void {
  const { upper, lower, sums, counts } = ws;
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  const { rows: n, cols: d, data } = m;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = sqDistTo(data, i * d, centers, labels[i] * d, d);
  const far = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => dist[b] - dist[a] || a - b)
    .slice(0, empty.length);
  for (let e = 0; e < far.length; e++) {
    const i = far[e];
    const from = labels[i];
    if (counts[from] <= 1) continue;
    const c = empty[e];
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j];
      sums[from * d + j] -= v;
      sums[c * d + j] = v;
    }
    counts[from]--;
    counts[c] = 1;
    labels[i] = c;
    upper[i] = 0;
    lower[i] = 0;
  }
}

function meanVariance(m: Matrix): number {
  const { rows: n, cols: d, data } = m;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (data[i * d + j] - mean) ** 2;
    total += ss / n;
  }
  return total / d;
}

function sqDistTo(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

/**
 * sqDistTo with two partial sums (half the dependency chain, so faster alone), for bound tests only:
 * its last bits may differ from sqDistTo's, which decides labels.
 */
function sqDistBound(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const t0 = a[ao + j] - b[bo + j];
    const t1 = a[ao + j + 1] - b[bo + j + 1];
    s0 += t0 * t0;
    s1 += t1 * t1;
  }
  if (j < d) {
    const t = a[ao + j] - b[bo + j];
    s0 += t * t;
  }
  return s0 + s1;
}

/** First index whose value is > x (the array is non-decreasing). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
