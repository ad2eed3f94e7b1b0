import { negLog10Tail } from "./detector.ts";

/**
 * Baseline for comparisons: rolling z-score of each point against the mean and standard deviation of the
 * previous `window` points, mapped to [0, 1] like the detector's channels: min(1, -log10(2 Q(|z|)) / 5).
 */
export function rollingZScore(values: ArrayLike<number>, window = 100, logTail = 5): Float64Array {
  const out = new Float64Array(values.length);
  const ring = new Float64Array(window);
  let pos = 0;
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) {
      out[i] = Number.NaN;
      continue;
    }
    if (n >= 10) {
      const mean = sum / n;
      const sd = Math.sqrt(Math.max(0, sum2 / n - mean * mean)) + 1e-9;
      const z = Math.abs(x - mean) / sd;
      out[i] = Math.max(0, Math.min(1, (negLog10Tail(z) - Math.log10(2)) / logTail));
    }
    if (n === window) {
      sum -= ring[pos];
      sum2 -= ring[pos] * ring[pos];
    } else n++;
    ring[pos] = x;
    sum += x;
    sum2 += x * x;
    pos = (pos + 1) % window;
  }
  return out;
}
