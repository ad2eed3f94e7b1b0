/**
 * Principal component analysis for plotting and compressing feature vectors: the eigenvectors of the
 * sample covariance matrix (denominator n - 1, as scikit-learn's explained_variance_), found with the
 * cyclic Jacobi eigenvalue method (exact to rounding; fine for the tens of columns used here), sorted
 * by decreasing variance. Each component's sign is fixed so its largest-magnitude loading is positive,
 * so the same data always gives the same axes.
 */
import { checkMatrix, type Matrix } from "./matrix.ts";

export interface Pca {
  /** Column means removed before projecting. */
  mean: Float64Array;
  /** nComponents x d, one unit-length principal axis per row. */
  components: Matrix;
  /** Variance along each component. */
  explainedVariance: Float64Array;
  /** Share of the total variance along each component (0 for all when the data has no variance). */
  explainedVarianceRatio: Float64Array;
  /** Rows projected on the components: n x nComponents. */
  transform(m: Matrix): Matrix;
}

/** Fits a PCA with `nComponents` (default 2) components, 1 <= nComponents <= min(n, d). */
export function pca(m: Matrix, nComponents = 2): Pca {
  checkMatrix(m, "pca");
  const { rows: n, cols: d, data } = m;
  if (n < 2) throw new RangeError("pca: needs at least 2 rows");
  if (!Number.isInteger(nComponents) || nComponents < 1 || nComponents > Math.min(n, d)) {
    throw new RangeError(`pca: nComponents must be an integer in [1, ${Math.min(n, d)}], got ${nComponents}`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const xa = x[a];
      for (let b = a; b < d; b++) cov[a * d + b] += xa * x[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= n - 1;
      cov[b * d + a] = cov[a * d + b];
    }
  }
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  let total = 0;
  for (let j = 0; j < d; j++) total += Math.max(0, values[j]);
  const comps = new Float64Array(nComponents * d);
  const variance = new Float64Array(nComponents);
  const ratio = new Float64Array(nComponents);
  for (let c = 0; c < nComponents; c++) {
    const col = order[c];
    let big = 0;
    for (let j = 0; j < d; j++)
      if (Math.abs(vectors[j * d + col]) > Math.abs(big)) big = vectors[j * d + col];
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) comps[c * d + j] = sign * vectors[j * d + col];
    variance[c] = Math.max(0, values[col]);
    ratio[c] = total > 0 ? variance[c] / total : 0;
  }
  const components: Matrix = { data: comps, rows: nComponents, cols: d };
  return {
    mean,
    components,
    explainedVariance: variance,
    explainedVarianceRatio: ratio,
    transform(q: Matrix): Matrix {
      checkMatrix(q, "pca transform");
      if (q.cols !== d) throw new RangeError(`pca transform: fitted on ${d} columns, got ${q.cols}`);
      const out = new Float64Array(q.rows * nComponents);
      for (let i = 0; i < q.rows; i++) {
        for (let c = 0; c < nComponents; c++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += (q.data[i * d + j] - mean[j]) * comps[c * d + j];
          out[i * nComponents + c] = s;
        }
      }
      return { data: out, rows: q.rows, cols: nComponents };
    },
  };
}

/**
 * Eigen decomposition of a symmetric d x d matrix (row-major, not modified) by cyclic Jacobi rotations.
 * Returns the eigenvalues (unsorted) and the eigenvectors as the columns of `vectors` (row-major d x d).
 */
export function symmetricEigen(
  sym: Float64Array,
  d: number,
): { values: Float64Array; vectors: Float64Array } {
  if (sym.length !== d * d)
    throw new RangeError(`symmetricEigen: ${sym.length} values for a ${d} x ${d} matrix`);
  const a = sym.slice();
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}
