/**
 * NAB-style scoring (Numenta Anomaly Benchmark, Lavin & Ahmad 2015), re-implemented from its sweeper:
 * - each labelled anomaly has a window (by default NAB's: 10% of the series length divided by the number
 *   of anomalies, centred on the label);
 * - the first detection (score >= threshold) inside a window earns A_TP * sigmoid(position), where the
 *   position runs from -1 at the window start to 0 at its end and sigmoid(y) = 2 / (1 + e^(5y)) - 1, so
 *   early detection earns ~1 and late ~0; later detections in the same window count for nothing;
 * - a detection outside every window costs A_FP * sigmoid(distance past the previous window / its width)
 *   (close after a window costs little, far away or before any window costs A_FP in full);
 * - every window without a detection costs A_FN;
 * - detections in the probationary period (first min(15% of the length, 750) points) are ignored.
 * Standard profile: A_TP = 1, A_FP = 0.11, A_FN = 1. The corpus score is normalised to [0, 100] between
 * the null detector (never fires: -A_FN per window) and the perfect one (fires at every window start).
 */

export interface NabWindow {
  /** First and last index of the window (inclusive). */
  start: number;
  end: number;
}

export interface NabSeries {
  scores: ArrayLike<number>;
  windows: NabWindow[];
}

export interface NabProfile {
  tp: number;
  fp: number;
  fn: number;
}

export const STANDARD_PROFILE: Readonly<NabProfile> = Object.freeze({ tp: 1, fp: 0.11, fn: 1 });

export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

export function probationaryPeriod(length: number): number {
  return Math.floor(Math.min(0.15 * length, 0.15 * 5000));
}

/** NAB's windows around anomaly onsets (indices): width 10% of length / count, centred, clipped, merged. */
export function nabWindows(length: number, onsets: number[]): NabWindow[] {
  if (onsets.length === 0) return [];
  const width = Math.max(1, Math.floor((0.1 * length) / onsets.length));
  const out: NabWindow[] = [];
  for (const o of [...onsets].sort((a, b) => a - b)) {
    const start = Math.max(0, o - Math.floor(width / 2));
    const end = Math.min(length - 1, start + width - 1);
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

export interface NabRaw {
  score: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Raw (unnormalised) NAB score of one series at a threshold. */
export function nabRaw(series: NabSeries, threshold: number, profile: NabProfile = STANDARD_PROFILE): NabRaw {
  const { scores, windows } = series;
  const n = scores.length;
  const prob = probationaryPeriod(n);
  let total = 0;
  let tp = 0;
  let fp = 0;
  let w = 0;
  let detectedInWindow = false;
  let prev: NabWindow | undefined;
  for (let i = 0; i < n; i++) {
    while (w < windows.length && i > windows[w].end) {
      if (!detectedInWindow) total -= profile.fn;
      prev = windows[w];
      w++;
      detectedInWindow = false;
    }
    if (!(scores[i] >= threshold) || i < prob) continue;
    const cur = windows[w];
    if (cur && i >= cur.start) {
      if (detectedInWindow) continue;
      detectedInWindow = true;
      tp++;
      const width = cur.end - cur.start + 1;
      total += profile.tp * scaledSigmoid(-(cur.end - i + 1) / width);
    } else {
      fp++;
      const y = prev ? Math.abs(prev.end - i) / Math.max(1, prev.end - prev.start) : Number.POSITIVE_INFINITY;
      total += profile.fp * scaledSigmoid(y);
    }
  }
  for (; w < windows.length; w++) {
    if (!detectedInWindow) total -= profile.fn;
    detectedInWindow = false;
  }
  return { score: total, tp, fp, fn: windows.length - tp };
}

export interface NabResult {
  /** Normalised score, 0 = null detector, 100 = perfect. */
  score: number;
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  windows: number;
}

/** Corpus score at one threshold, normalised against the null and perfect detectors. */
export function nabScore(
  corpus: NabSeries[],
  threshold: number,
  profile: NabProfile = STANDARD_PROFILE,
): NabResult {
  let raw = 0;
  let nul = 0;
  let perfect = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let windows = 0;
  for (const s of corpus) {
    const r = nabRaw(s, threshold, profile);
    raw += r.score;
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
    windows += s.windows.length;
    nul -= profile.fn * s.windows.length;
    perfect += profile.tp * scaledSigmoid(-1) * s.windows.length;
  }
  const score = perfect === nul ? 0 : (100 * (raw - nul)) / (perfect - nul);
  return { score, threshold, tp, fp, fn, windows };
}

/** NAB's threshold optimisation: the best corpus score over a grid of thresholds. */
export function nabBest(corpus: NabSeries[], profile: NabProfile = STANDARD_PROFILE, steps = 200): NabResult {
  let best = nabScore(corpus, 1, profile);
  for (let k = 0; k < steps; k++) {
    const r = nabScore(corpus, k / steps, profile);
    if (r.score > best.score) best = r;
  }
  return best;
}
