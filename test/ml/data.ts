/** Seeded synthetic data with ground truth for the ml tests. */
import type { Rng } from "../../src/core/random.ts";
import type { Matrix } from "../../src/ml/matrix.ts";

/** `perBlob` Gaussian points (sd `sd` per axis) around each centre; labels are centre indices. */
export function blobs(
  rng: Rng,
  centers: readonly (readonly number[])[],
  perBlob: number,
  sd: number,
): { m: Matrix; labels: Int32Array } {
  const d = centers[0].length;
  const n = centers.length * perBlob;
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centers.length;
    labels[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c][j] + rng.normal(0, sd);
  }
  return { m: { data, rows: n, cols: d }, labels };
}

/** n points uniform in [lo, hi)^d. */
export function uniform(rng: Rng, n: number, d: number, lo: number, hi: number): Matrix {
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(lo, hi);
  return { data, rows: n, cols: d };
}

/** Rows of a, then rows of b. */
export function stack(a: Matrix, b: Matrix): Matrix {
  const data = new Float64Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}
