/**
 * Bothound's attack distance and the set overlaps used to compare attacks and botnets. Pure functions
 * over feature rows (one array of values per session) and keyed IP hashes.
 */

export interface FeatureProfile {
  n: number;
  mean: number[];
  variance: number[];
}

/** Per-feature mean and (population) variance of a set of sessions; NaN values are skipped. */
export function profile(rows: number[][], dims: number): FeatureProfile {
  const mean = new Array(dims).fill(0);
  const m2 = new Array(dims).fill(0);
  const count = new Array(dims).fill(0);
  for (const row of rows) {
    for (let f = 0; f < dims; f++) {
      const v = row[f];
      if (!Number.isFinite(v)) continue;
      count[f]++;
      const d = v - mean[f];
      mean[f] += d / count[f];
      m2[f] += d * (v - mean[f]);
    }
  }
  return { n: rows.length, mean, variance: m2.map((m, f) => (count[f] > 0 ? m / count[f] : 0)) };
}

/**
 * Bothound's attack distance: sum over features of (mean_a - mean_b)^2 / sqrt(var_a * var_b); smaller is
 * more similar. It is scale-invariant per feature, so standardising first changes nothing. A small
 * floor on the variances keeps constant features (a flood's single URL) finite.
 */
export function attackDistance(a: FeatureProfile, b: FeatureProfile): number {
  let sum = 0;
  for (let f = 0; f < a.mean.length; f++) {
    const scale = Math.max(Math.abs(a.mean[f]), Math.abs(b.mean[f]), 1e-9);
    const floor = (1e-3 * scale) ** 2;
    sum +=
      (a.mean[f] - b.mean[f]) ** 2 /
      Math.sqrt(Math.max(a.variance[f], floor) * Math.max(b.variance[f], floor));
  }
  return sum;
}

/**
 * Behavioural similarity in [0, 1] for botnet matching: per feature exp(-|mean_a - mean_b| /
 * (sd_a + sd_b + 0.1)), averaged. Meant for log1p-scaled features, where 0.1 is a tenth of an order of
 * magnitude: floods with near-constant features stay comparable instead of infinitely far apart, as
 * they are under the Bothound distance.
 */
export function behaviourSimilarity(a: FeatureProfile, b: FeatureProfile): number {
  let sum = 0;
  const d = a.mean.length;
  for (let f = 0; f < d; f++) {
    const spread = Math.sqrt(a.variance[f]) + Math.sqrt(b.variance[f]) + 0.1;
    sum += Math.exp(-Math.abs(a.mean[f] - b.mean[f]) / spread);
  }
  return d > 0 ? sum / d : 0;
}

export interface Overlap {
  common: number;
  /** |A ∩ B| / |A ∪ B| */
  jaccard: number;
  /** |A ∩ B| / |A|: share of A's IPs seen in B. */
  ofA: number;
  /** |A ∩ B| / |B| */
  ofB: number;
}

export function overlap(a: Set<string>, b: Set<string>): Overlap {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const x of small) if (large.has(x)) common++;
  const union = a.size + b.size - common;
  return {
    common,
    jaccard: union > 0 ? common / union : 0,
    ofA: a.size > 0 ? common / a.size : 0,
    ofB: b.size > 0 ? common / b.size : 0,
  };
}
