/**
 * Beacon score of one (src, dst) pair in the manner of RITA (Active Countermeasures), for jittered C&C
 * beacons that a strict phase test misses:
 * - timestamps: mean of 1 - |Bowley skew| of the inter-arrival times and (median - MAD) / median;
 * - sizes: the same on the bytes of each contact (left out when the input has no byte counts);
 * - histogram: how evenly the contacts spread over 24 bins of the pair's active span (fewer bins when
 *   the typical interval is longer than a bin; 1 - coefficient of variation of the bin counts, clamped);
 * - coverage: mean of the share of the observation window the pair spans and the share of the window's
 *   24 bins it touches.
 * The score is the mean of the available parts, in [0, 1]. Pure functions on typed arrays.
 */

/** Quantile q of sorted a[0..n) with linear interpolation between closest ranks. */
export function quantileSorted(a: ArrayLike<number>, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo] + (a[hi] - a[lo]) * (pos - lo);
}

/** Bowley (quartile) skewness of sorted values: (Q1 + Q3 - 2 Q2) / (Q3 - Q1); 0 when Q1 = Q3 or the median sits on a quartile. */
export function bowleySkew(sorted: ArrayLike<number>, n: number): number {
  const q1 = quantileSorted(sorted, n, 0.25);
  const q2 = quantileSorted(sorted, n, 0.5);
  const q3 = quantileSorted(sorted, n, 0.75);
  if (q3 === q1 || q2 === q1 || q2 === q3) return 0;
  return (q1 + q3 - 2 * q2) / (q3 - q1);
}

/** Median absolute deviation of sorted values around their median. */
export function medianAbsDeviation(sorted: ArrayLike<number>, n: number): number {
  const med = quantileSorted(sorted, n, 0.5);
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(sorted[i] - med);
  dev.sort();
  return quantileSorted(dev, n, 0.5);
}

/** Skew and dispersion score of a sample (sorted in place): mean of 1 - |Bowley| and (median - MAD) / median. */
export function regularityScore(values: Float64Array): { skew: number; madm: number; score: number } {
  const n = values.length;
  values.sort();
  const skew = bowleySkew(values, n);
  const med = quantileSorted(values, n, 0.5);
  const mad = medianAbsDeviation(values, n);
  const madm = med > 0 ? Math.max(0, Math.min(1, (med - mad) / med)) : 0;
  return { skew, madm, score: (1 - Math.min(1, Math.abs(skew)) + madm) / 2 };
}

export interface BeaconScore {
  /** Final score, mean of the available parts. */
  score: number;
  timestamps: number;
  /** null when there were no byte counts. */
  sizes: number | null;
  histogram: number;
  coverage: number;
  /** Contacts scored. */
  contacts: number;
  /** Median inter-arrival time (ms): the beacon's typical interval. */
  medianIntervalMs: number;
  /** MAD of the inter-arrival times (ms). */
  intervalMadMs: number;
}

const BINS = 24;

/**
 * Scores one pair: `times` sorted contact starts (ms), `bytes` per contact (same order; all 0 when
 * unknown), `windowStart`/`windowEnd` the observation window of the whole input (ms). Needs at least
 * 3 contacts (2 intervals); null otherwise.
 */
export function beaconScore(
  times: ArrayLike<number>,
  bytes: ArrayLike<number> | null,
  n: number,
  windowStart: number,
  windowEnd: number,
): BeaconScore | null {
  if (n < 3) return null;
  const intervals = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) intervals[i - 1] = times[i] - times[i - 1];
  const ts = regularityScore(intervals);
  const medianIntervalMs = quantileSorted(intervals, intervals.length, 0.5);
  const intervalMadMs = medianAbsDeviation(intervals, intervals.length);

  let sizes: number | null = null;
  if (bytes) {
    let any = false;
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      b[i] = bytes[i];
      if (b[i] > 0) any = true;
    }
    if (any) sizes = regularityScore(b).score;
  }

  // histogram over the pair's own active span: 24 bins, fewer when the typical interval is longer than
  // a bin (a 30 min keep-alive over 6 h fills 12 bins of 30 min evenly, not every other of 24)
  const first = times[0];
  const last = times[n - 1];
  const span = last - first;
  let histogram = 0;
  if (span > 0) {
    const bins = Math.max(1, Math.min(BINS, Math.floor(span / Math.max(1, medianIntervalMs))));
    const counts = new Float64Array(bins);
    for (let i = 0; i < n; i++) counts[Math.min(bins - 1, Math.floor(((times[i] - first) / span) * bins))]++;
    let mean = 0;
    for (const c of counts) mean += c;
    mean /= bins;
    let v = 0;
    for (const c of counts) v += (c - mean) * (c - mean);
    const cv = Math.sqrt(v / bins) / mean;
    histogram = Math.max(0, 1 - cv);
  }

  // coverage of the observation window
  const window = windowEnd - windowStart;
  let coverage = 1;
  if (window > 0) {
    const spanShare = Math.min(1, span / window);
    const touched = new Uint8Array(BINS);
    for (let i = 0; i < n; i++) {
      const k = Math.floor(((times[i] - windowStart) / window) * BINS);
      touched[Math.max(0, Math.min(BINS - 1, k))] = 1;
    }
    let t = 0;
    for (const x of touched) t += x;
    coverage = (spanShare + t / BINS) / 2;
  }

  const parts = [ts.score, histogram, coverage];
  if (sizes !== null) parts.push(sizes);
  const score = parts.reduce((a, b) => a + b, 0) / parts.length;
  return {
    score,
    timestamps: ts.score,
    sizes,
    histogram,
    coverage,
    contacts: n,
    medianIntervalMs,
    intervalMadMs,
  };
}
