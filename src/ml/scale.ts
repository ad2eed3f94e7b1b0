/**
 * Column scalers, fitted on one matrix and applied to others, as scikit-learn's StandardScaler and
 * RobustScaler. NaN means "missing": `fit` ignores it (each column's statistics come from its non-NaN
 * values; an all-NaN column gets center 0, scale 1) and `transform` maps it to 0, the fitted center,
 * so the output is finite and ready for distance-based methods. Infinite values are refused.
 * A constant column (zero spread, up to rounding) gets scale 1, so it maps to 0 rather than NaN.
 */
import { checkMatrix, type Matrix } from "./matrix.ts";

/** Shared by both scalers: y = (x - center) / scale per column; NaN -> 0. */
abstract class ColumnScaler {
  /** Per-column center (mean or median) once fitted. */
  center: Float64Array = new Float64Array(0);
  /** Per-column divisor (standard deviation or IQR; 1 for constant columns) once fitted. */
  scale: Float64Array = new Float64Array(0);
  private fitted = false;

  protected abstract stats(values: Float64Array, count: number): [center: number, scale: number];

  fit(m: Matrix): this {
    const name = this.constructor.name;
    checkMatrix(m, `${name}.fit`, { allowNaN: true });
    const { rows: n, cols: d, data } = m;
    this.center = new Float64Array(d);
    this.scale = new Float64Array(d);
    const col = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) {
        const v = data[i * d + j];
        if (!Number.isNaN(v)) col[c++] = v;
      }
      const [center, scale] = c === 0 ? [0, 1] : this.stats(col, c);
      this.center[j] = center;
      this.scale[j] = scale;
    }
    this.fitted = true;
    return this;
  }

  /** A new matrix, each column centered and scaled; NaN becomes 0. */
  transform(m: Matrix): Matrix {
    const name = this.constructor.name;
    if (!this.fitted) throw new RangeError(`${name}.transform: call fit first`);
    checkMatrix(m, `${name}.transform`, { allowNaN: true });
    const d = this.center.length;
    if (m.cols !== d) throw new RangeError(`${name}.transform: fitted on ${d} columns, got ${m.cols}`);
    const out = new Float64Array(m.data.length);
    const src = m.data;
    for (let i = 0; i < src.length; i += d) {
      for (let j = 0; j < d; j++) {
        const v = src[i + j];
        out[i + j] = !Number.isNaN(v) ? (v - this.center[j]) / this.scale[j] : 0;
      }
    }
    return { data: out, rows: m.rows, cols: d };
  }

  fitTransform(m: Matrix): Matrix {
    return this.fit(m).transform(m);
  }

  /** Back to the original units (NaN that became 0 comes back as the center). */
  inverseTransform(m: Matrix): Matrix {
    const name = this.constructor.name;
    if (!this.fitted) throw new RangeError(`${name}.inverseTransform: call fit first`);
    const d = this.center.length;
    if (m.cols !== d) throw new RangeError(`${name}.inverseTransform: fitted on ${d} columns, got ${m.cols}`);
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < out.length; i += d) {
      for (let j = 0; j < d; j++) out[i + j] = m.data[i + j] * this.scale[j] + this.center[j];
    }
    return { data: out, rows: m.rows, cols: d };
  }
}

/** Zero mean, unit population standard deviation (ddof = 0, as scikit-learn). */
export class StandardScaler extends ColumnScaler {
  protected stats(values: Float64Array, count: number): [number, number] {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[i];
    const mean = sum / count;
    // Two-pass variance with the usual correction term for the rounding error of the mean.
    let ss = 0;
    let comp = 0;
    for (let i = 0; i < count; i++) {
      const t = values[i] - mean;
      ss += t * t;
      comp += t;
    }
    const variance = Math.max(0, (ss - (comp * comp) / count) / count);
    const std = Math.sqrt(variance);
    // Near-constant test in the spirit of scikit-learn's _is_constant_feature.
    const eps = Number.EPSILON;
    const bound = count * eps * variance + count * (mean * eps) ** 2;
    return [mean, variance <= bound || std === 0 ? 1 : std];
  }
}

/** Median center, interquartile range (25th to 75th percentile, linear interpolation) as scale. */
export class RobustScaler extends ColumnScaler {
  protected stats(values: Float64Array, count: number): [number, number] {
    const sorted = values.slice(0, count).sort();
    const median = quantileSorted(sorted, 0.5);
    const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
    return [median, iqr > 0 ? iqr : 1];
  }
}

/** The q-quantile of ascending values, linear interpolation between order statistics (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantileSorted: no values");
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
