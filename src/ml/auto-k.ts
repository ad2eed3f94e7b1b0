/**
 * Choosing the number of k-means clusters. `chooseK` runs k-means for every k in [kMin, kMax] and keeps
 * the k with the highest mean silhouette (ties: the smaller k). The silhouette is exact for up to
 * `sampleSize` rows (default 5000) and otherwise computed, as scikit-learn's `silhouette_score(...,
 * sample_size)`, among a seeded random sample of that many rows only; the same sample serves every k.
 * `elbow` is the alternative on the inertia curve.
 */
import { Rng } from "../core/random.ts";
import { type KMeansResult, kmeans } from "./kmeans.ts";
import { checkLength, checkMatrix, type Matrix, selectRows } from "./matrix.ts";

export interface SilhouetteOptions {
  /** Above this many rows, score a seeded random sample of this size (default: every row). */
  sampleSize?: number;
  seed?: number | string;
}

/**
 * Silhouette of each row (Rousseeuw 1987): (b - a) / max(a, b) with a the mean distance to the other
 * rows of its cluster and b the lowest mean distance to the rows of another cluster; 0 for a row alone
 * in its cluster. Every distinct label is a cluster (-1 too); needs 2 .. n-1 clusters. O(n^2 d).
 */
export function silhouetteSamples(m: Matrix, labels: ArrayLike<number>): Float64Array {
  checkMatrix(m, "silhouette");
  checkLength(labels, m.rows, "silhouette");
  const { rows: n, cols: d, data } = m;
  const ids = new Map<number, number>();
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let id = ids.get(labels[i]);
    if (id === undefined) {
      id = ids.size;
      ids.set(labels[i], id);
    }
    lab[i] = id;
  }
  const L = ids.size;
  if (L < 2 || L > n - 1) {
    throw new RangeError(`silhouette: needs between 2 and n - 1 = ${n - 1} clusters, got ${L}`);
  }
  const size = new Float64Array(L);
  for (let i = 0; i < n; i++) size[lab[i]]++;
  const sums = new Float64Array(n * L);
  for (let i = 0; i < n; i++) {
    const bi = i * d;
    const li = lab[i];
    for (let j = i + 1; j < n; j++) {
      const bj = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = data[bi + k] - data[bj + k];
        s += t * t;
      }
      const dist = Math.sqrt(s);
      sums[i * L + lab[j]] += dist;
      sums[j * L + li] += dist;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const li = lab[i];
    if (size[li] <= 1) continue;
    const a = sums[i * L + li] / (size[li] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let l = 0; l < L; l++) {
      if (l !== li) b = Math.min(b, sums[i * L + l] / size[l]);
    }
    const mx = Math.max(a, b);
    out[i] = mx > 0 ? (b - a) / mx : 0;
  }
  return out;
}

/** Mean silhouette of the rows (or of a seeded sample of `sampleSize` rows). */
export function silhouette(m: Matrix, labels: ArrayLike<number>, opts: SilhouetteOptions = {}): number {
  checkMatrix(m, "silhouette");
  checkLength(labels, m.rows, "silhouette");
  const idx = sampleRows(m.rows, opts);
  let sub = m;
  let subLabels = labels;
  if (idx) {
    sub = selectRows(m, idx);
    subLabels = Int32Array.from(idx, (i) => labels[i]);
  }
  const s = silhouetteSamples(sub, subLabels);
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i];
  return total / s.length;
}

export interface ChooseKOptions {
  /** Smallest k tried (default 2, at least 2). */
  kMin?: number;
  /** Largest k tried (default 10, at most n - 1). */
  kMax?: number;
  /** k-means runs per k (default 3). */
  nInit?: number;
  maxIter?: number;
  seed?: number | string;
  /** Rows scored by the silhouette (default 5000; exact below that). */
  sampleSize?: number;
}

export interface KScore {
  k: number;
  /** Mean silhouette; NaN when k-means found fewer than 2 distinct clusters. */
  silhouette: number;
  inertia: number;
}

export interface ChooseKResult {
  k: number;
  /** The k-means result for the chosen k. */
  result: KMeansResult;
  scores: KScore[];
}

export function chooseK(m: Matrix, opts: ChooseKOptions = {}): ChooseKResult {
  checkMatrix(m, "chooseK");
  const kMin = opts.kMin ?? 2;
  const kMax = Math.min(opts.kMax ?? 10, m.rows - 1);
  if (!Number.isInteger(kMin) || kMin < 2)
    throw new RangeError(`chooseK: kMin must be an integer >= 2, got ${kMin}`);
  if (!Number.isInteger(kMax) || kMax < kMin) {
    throw new RangeError(
      `chooseK: no k to try in [${kMin}, ${opts.kMax ?? 10}] with ${m.rows} rows (the silhouette needs k <= n - 1)`,
    );
  }
  const seed = opts.seed ?? 0;
  const idx = sampleRows(m.rows, { sampleSize: opts.sampleSize ?? 5000, seed });
  const scored = idx ? selectRows(m, idx) : m;
  const scores: KScore[] = [];
  let best: { k: number; s: number; result: KMeansResult } | undefined;
  for (let k = kMin; k <= kMax; k++) {
    const result = kmeans(m, { k, nInit: opts.nInit ?? 3, maxIter: opts.maxIter, seed });
    const labels = idx ? Int32Array.from(idx, (i) => result.labels[i]) : result.labels;
    const distinct = new Set(labels).size;
    const s = distinct >= 2 && distinct < scored.rows ? silhouette(scored, labels) : Number.NaN;
    scores.push({ k, silhouette: s, inertia: result.inertia });
    const better = !Number.isNaN(s) && (!best || Number.isNaN(best.s) || s > best.s);
    if (!best || better) best = { k, s, result };
  }
  return { k: best!.k, result: best!.result, scores };
}

/**
 * The elbow of a decreasing curve such as inertia by k: the point farthest from the straight line
 * through the first and last points, both axes scaled to [0, 1]. Returns that k.
 */
export function elbow(ks: ArrayLike<number>, values: ArrayLike<number>): number {
  const n = ks.length;
  if (n === 0 || values.length !== n) {
    throw new RangeError(
      `elbow: needs as many values as ks (got ${n} ks, ${values.length} values), at least one`,
    );
  }
  if (n <= 2) return ks[0];
  const x0 = ks[0];
  const xr = ks[n - 1] - x0 || 1;
  let vmin = Number.POSITIVE_INFINITY;
  let vmax = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    vmin = Math.min(vmin, values[i]);
    vmax = Math.max(vmax, values[i]);
  }
  const vr = vmax - vmin || 1;
  const y0 = (values[0] - vmin) / vr;
  const y1 = (values[n - 1] - vmin) / vr;
  // Distance to the chord from (0, y0) to (1, y1), up to a constant factor.
  let bestI = 0;
  let bestD = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = (ks[i] - x0) / xr;
    const y = (values[i] - vmin) / vr;
    const dist = Math.abs((y1 - y0) * x - y + y0);
    if (dist > bestD) {
      bestD = dist;
      bestI = i;
    }
  }
  return ks[bestI];
}

function sampleRows(n: number, opts: SilhouetteOptions): Int32Array | undefined {
  const size = opts.sampleSize;
  if (size === undefined || n <= size) return undefined;
  if (!Number.isInteger(size) || size < 2)
    throw new RangeError(`silhouette: sampleSize must be an integer >= 2, got ${size}`);
  const all = Array.from({ length: n }, (_, i) => i);
  return Int32Array.from(new Rng(opts.seed ?? 0).sample(all, size)).sort();
}
